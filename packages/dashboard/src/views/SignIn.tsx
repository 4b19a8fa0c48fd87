/** Sign-in: account name and key (SharedKey), or a bearer token; the development account in one click. */
import { useState } from "preact/hooks";
import type { ServerConfig, Session } from "../session.js";
import { ErrorBanner } from "../components/common.js";

export function SignIn({ config, onSignIn }: { config: ServerConfig; onSignIn: (session: Session) => Promise<void> }) {
  const [mode, setMode] = useState<"sharedKey" | "bearer">("sharedKey");
  const [account, setAccount] = useState("");
  const [key, setKey] = useState("");
  const [token, setToken] = useState("");
  const [error, setError] = useState<unknown>(undefined);
  const [busy, setBusy] = useState(false);
  const submit = async (session: Session) => {
    setBusy(true);
    setError(undefined);
    try {
      await onSignIn(session);
    } catch (caught) {
      setError(caught);
    } finally {
      setBusy(false);
    }
  };
  return (
    <main class="signin">
      <h1>Sign in to OpenBatch</h1>
      <p class="muted">The key stays in this tab's session storage; requests carry only signatures made with it.</p>
      {config.developmentAccount === null ? null : (
        <p>
          <button type="button" class="primary" disabled={busy} onClick={() => void submit({ kind: "sharedKey", account: config.developmentAccount!.name, key: config.developmentAccount!.key })}>
            Use the development account ({config.developmentAccount.name})
          </button>
        </p>
      )}
      <fieldset>
        <legend>Credential</legend>
        <label>
          <input type="radio" name="mode" checked={mode === "sharedKey"} onChange={() => setMode("sharedKey")} /> Use an account key
        </label>
        <label>
          <input type="radio" name="mode" checked={mode === "bearer"} onChange={() => setMode("bearer")} /> Use a bearer token
        </label>
      </fieldset>
      <form
        onSubmit={(event) => {
          event.preventDefault();
          void submit(mode === "sharedKey" ? { kind: "sharedKey", account: account.trim(), key: key.trim() } : { kind: "bearer", token: token.trim() });
        }}
      >
        {mode === "sharedKey" ? (
          <>
            <label for="signin-account">Account name</label>
            <input id="signin-account" name="account" autoComplete="username" required value={account} onInput={(event) => setAccount((event.target as HTMLInputElement).value)} />
            <label for="signin-key">Account key</label>
            <input id="signin-key" name="key" type="password" autoComplete="current-password" required value={key} onInput={(event) => setKey((event.target as HTMLInputElement).value)} />
          </>
        ) : (
          <>
            <label for="signin-token">Bearer token</label>
            <textarea id="signin-token" name="token" required rows={4} value={token} onInput={(event) => setToken((event.target as HTMLTextAreaElement).value)} />
          </>
        )}
        <button type="submit" class="primary" disabled={busy}>
          {busy ? "Signing in…" : "Sign in"}
        </button>
      </form>
      <ErrorBanner error={error} />
    </main>
  );
}
