/**
 * The compute providers of a server and which one provisions a pool: the value of the pool's `openbatch.provider`
 * metadata item when it has one (the wire model has no provider field; metadata is the pool's own, free-form
 * place), else the server's default (`serve --provider`, `ServerOptions.provider`). A pool's provider is read when
 * its nodes are allocated; each agent remembers the provider that started it, so changing the metadata later
 * affects only nodes allocated after the change.
 */
import { propertyDetails, serviceError } from "@openbatch/core";
import { providerMetadataKey, type CloudPool, type PoolAddParameter } from "@openbatch/protocol";
import type { ContainerRuntimeAvailability } from "./poolCapabilities.js";
import { providerKinds, type AgentRef, type ComputeProvider, type ProviderKind } from "./computeProvider.js";

type WithMetadata = Pick<CloudPool, "metadata">;

/** The provider a pool's metadata names, `undefined` when it names none; throws for a value that is no provider. */
export function metadataProvider(pool: WithMetadata): ProviderKind | undefined {
  const item = pool.metadata?.find((entry) => entry.name === providerMetadataKey);
  if (item === undefined) return undefined;
  const kind = item.value.trim().toLowerCase();
  if ((providerKinds as readonly string[]).includes(kind)) return kind as ProviderKind;
  const reason = `The metadata item '${providerMetadataKey}' must name a compute provider (${providerKinds.join(", ")}); '${item.value}' is none.`;
  throw serviceError("InvalidPropertyValue", { message: `The value provided for the property 'metadata' is invalid. ${reason}`, values: propertyDetails("metadata", reason) });
}

export class ProviderSet {
  private readonly byKind: ReadonlyMap<ProviderKind, ComputeProvider>;

  constructor(
    providers: readonly ComputeProvider[],
    readonly defaultKind: ProviderKind,
  ) {
    this.byKind = new Map(providers.map((provider) => [provider.kind, provider]));
    if (!this.byKind.has(defaultKind)) throw new Error(`The default compute provider '${defaultKind}' is not configured on this server.`);
  }

  /** The kind of provider that provisions the pool (an unreadable metadata value, stored before checks: the default). */
  kindOf(pool: WithMetadata): ProviderKind {
    try {
      return metadataProvider(pool) ?? this.defaultKind;
    } catch {
      return this.defaultKind;
    }
  }

  forPool(pool: WithMetadata): ComputeProvider {
    return this.of(this.kindOf(pool));
  }

  of(kind: ProviderKind): ComputeProvider {
    const provider = this.byKind.get(kind);
    if (provider === undefined) throw new Error(`The compute provider '${kind}' is not configured on this server.`);
    return provider;
  }

  /** Refuses a pool whose provider is unknown or not configured here, or that its provider cannot honour. */
  checkPool(pool: PoolAddParameter, localContainers: ContainerRuntimeAvailability): void {
    const kind = metadataProvider(pool) ?? this.defaultKind;
    const provider = this.byKind.get(kind);
    if (provider === undefined) {
      const reason = `The compute provider '${kind}' is not configured on this server (serve --provider ${kind} and its options).`;
      throw serviceError("InvalidPropertyValue", { message: `The value provided for the property 'metadata' is invalid. ${reason}`, values: propertyDetails("metadata", reason) });
    }
    provider.checkPool(pool, localContainers);
  }

  /** Tells every provider an agent was retired (each ignores agents it did not start). */
  agentRetired(agent: AgentRef): void {
    for (const provider of this.byKind.values()) provider.agentRetired?.(agent);
  }

  async close(): Promise<void> {
    await Promise.all([...this.byKind.values()].map((provider) => provider.close()));
  }
}
