/**
 * Connections: `openbatch login` checks a connection and saves it as a profile (the default one unless told
 * otherwise), `openbatch logout` forgets it, `openbatch config show|list|use|set|path` shows and edits them, and
 * `openbatch account show|list|login` says the same in az's words. Keys are never printed whole.
 */
import { Command } from "commander";
import { flags } from "../framework/body.js";
import { maskKey, resolveConnection, type Connection } from "../framework/connection.js";
import { UsageError } from "../framework/errors.js";
import { leaf, type Invocation } from "../framework/leaf.js";
import { configPath, profileFields, readProfiles, writeProfiles, type Profile } from "../framework/profiles.js";
import { clientFor, connectionFlags } from "../framework/session.js";

function describe(connection: Connection) {
  return {
    endpoint: connection.endpoint,
    account: connection.account,
    key: maskKey(connection.key),
    profile: connection.profile?.name ?? null,
    sources: connection.sources,
    configFile: configPath(),
  };
}

/** Sends one cheap signed request; throws the server's refusal (wrong key, unknown account, nothing listening). */
async function verify(connection: Connection): Promise<void> {
  const client = clientFor(connection);
  try {
    for await (const pool of client.pool.list({ maxResults: 1, select: ["id"] })) {
      void pool;
      break;
    }
  } finally {
    await client.close();
  }
}

function login(parent: Command, name: string): void {
  leaf(parent, name, "Check a connection and save it as a profile (file mode 0600); later commands use it by default.")
    .options((command) => command.option("--no-verify", "save without checking that the server accepts the key").option("--no-default", "do not make it the default profile"))
    .action(async (invocation) => {
      const options = flags<{ verify: boolean; default: boolean; profile?: string }>(invocation);
      const { profile: _named, ...given } = connectionFlags(invocation.options);
      void _named; // --profile names the profile to write, not one to read from
      const connection = resolveConnection(given);
      if (options.verify) await verify(connection);
      const profileName = options.profile ?? "default";
      const file = readProfiles();
      const settings: Profile = { ...file.profiles[profileName], endpoint: connection.endpoint, account: connection.account, key: connection.key };
      const path = writeProfiles({
        ...file,
        profiles: { ...file.profiles, [profileName]: settings },
        ...(options.default || file.defaultProfile === undefined ? { defaultProfile: profileName } : {}),
      });
      invocation.terminal.note(`Saved the connection to ${connection.account} at ${connection.endpoint} as profile '${profileName}' in ${path}.`);
      return { profile: profileName, endpoint: connection.endpoint, account: connection.account, verified: options.verify, configFile: path };
    });
}

function profileList(invocation: Invocation) {
  void invocation;
  const file = readProfiles();
  return Object.entries(file.profiles).map(([name, profile]) => ({
    name,
    isDefault: name === file.defaultProfile,
    endpoint: profile.endpoint ?? null,
    account: profile.account ?? null,
    key: profile.key === undefined ? null : maskKey(profile.key),
    ...(profile.output === undefined ? {} : { output: profile.output }),
  }));
}

export function loginCommands(): Command[] {
  const holder = new Command("holder");
  login(holder, "login");

  leaf(holder, "logout", "Forget a saved profile (default: the default one).").action(async (invocation) => {
    const file = readProfiles();
    const name = flags<{ profile?: string }>(invocation).profile ?? file.defaultProfile;
    if (name === undefined || file.profiles[name] === undefined) throw new UsageError(`there is no profile ${name === undefined ? "saved" : `'${name}'`}.`);
    const { [name]: _removed, ...profiles } = file.profiles;
    void _removed;
    // Forgetting the default profile makes the first one left the default.
    const nextDefault = file.defaultProfile === name ? Object.keys(profiles)[0] : file.defaultProfile;
    writeProfiles({ profiles, ...(nextDefault === undefined ? {} : { defaultProfile: nextDefault }) });
    invocation.terminal.note(`Removed profile '${name}'.`);
    return undefined;
  });

  const config = holder.command("config").description("Show and edit the saved connections (profiles).");
  leaf(config, "show", "Show the connection commands use now, and where each part comes from (the key masked).").action(async (invocation) =>
    describe(invocation.connection()),
  );
  leaf(config, "list", "List the saved profiles (keys masked).").action(async (invocation) => profileList(invocation));
  leaf(config, "use", "Make a saved profile the default.")
    .ids("profile-name")
    .action(async (invocation) => {
      const file = readProfiles();
      const name = invocation.ids["profileName"] as string;
      if (file.profiles[name] === undefined) throw new UsageError(`there is no profile '${name}' (profiles: ${Object.keys(file.profiles).join(", ") || "none"}).`);
      writeProfiles({ ...file, defaultProfile: name });
      return undefined;
    });
  leaf(config, "set", `Set one field of a profile: ${profileFields.join(", ")} (the profile is --profile, else the default, else 'default').`)
    .ids("field", "setting")
    .action(async (invocation) => {
      const field = invocation.ids["field"] as string;
      if (!(profileFields as readonly string[]).includes(field)) throw new UsageError(`'${field}' is not a profile field (${profileFields.join(", ")}).`);
      const file = readProfiles();
      const name = flags<{ profile?: string }>(invocation).profile ?? file.defaultProfile ?? "default";
      const profile = { ...file.profiles[name], [field]: invocation.ids["setting"] as string };
      writeProfiles({ ...file, profiles: { ...file.profiles, [name]: profile }, defaultProfile: file.defaultProfile ?? name });
      return undefined;
    });
  leaf(config, "path", "Print where the profiles are saved.").action(async () => configPath());

  return [holder.commands.find((command) => command.name() === "login") as Command, holder.commands.find((command) => command.name() === "logout") as Command, config];
}

export function accountCommand(): Command {
  const account = new Command("account").description("The Batch account the commands use (saved connections).");
  leaf(account, "show", "Show the account, endpoint and key source commands use now.").action(async (invocation) => describe(invocation.connection()));
  leaf(account, "list", "List the saved accounts (profiles).").action(async (invocation) => profileList(invocation));
  login(account, "login");
  return account;
}
