/**
 * The setup page a customer's IT admin uses: the SCIM base URL, a button that creates the
 * connection or rotates its key (the key is shown once, with a copy button), and step-by-step
 * instructions for Okta and Microsoft Entra ID. Server-rendered with hono/jsx (escapes every
 * interpolated value); no build step. The inline style and script carry a per-response CSP nonce.
 */
import type { FC } from "hono/jsx";
import type { ScimConnectionInfo } from "../sidecar/connection-management";
import type { EffectiveMapping } from "./connection-admin";
import { CSRF_FIELD } from "./csrf";

export interface SetupPageView {
  readonly customerId: string;
  readonly scimBaseUrl: string;
  /** null: no connection yet; undefined: the sidecar could not be asked. */
  readonly connection: ScimConnectionInfo | null | undefined;
  readonly mapping: EffectiveMapping | null | undefined;
  /** A key just created or rotated: shown in this response only. */
  readonly newKey?: string;
  readonly notice?: { readonly tone: "success" | "error"; readonly text: string };
  readonly csrfToken: string;
  readonly nonce: string;
}

const STYLE = `
:root { color-scheme: light; --ink: #1b1f24; --muted: #57606a; --line: #d0d7de; --accent: #0969da; --ok: #1a7f37; --bad: #cf222e; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--ink); background: #f6f8fa; }
main { max-width: 860px; margin: 0 auto; padding: 24px 16px 48px; }
h1 { font-size: 1.5rem; margin: 0 0 4px; }
h2 { font-size: 1.15rem; margin: 0 0 12px; }
.sub { color: var(--muted); margin: 0 0 20px; }
section { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 16px 20px; margin: 0 0 16px; }
.value { display: flex; gap: 8px; align-items: center; margin: 4px 0 12px; }
code.copyable { flex: 1; padding: 8px 10px; background: #f6f8fa; border: 1px solid var(--line); border-radius: 6px; font: 13px ui-monospace, SFMono-Regular, Menlo, monospace; overflow-wrap: anywhere; }
button { font: inherit; padding: 6px 14px; border-radius: 6px; border: 1px solid var(--line); background: #f6f8fa; cursor: pointer; }
button.primary { background: var(--accent); border-color: var(--accent); color: #fff; }
input[type=text] { font: inherit; padding: 6px 8px; border: 1px solid var(--line); border-radius: 6px; width: 100%; max-width: 360px; }
label { display: block; margin: 0 0 4px; font-weight: 600; }
.notice { padding: 10px 14px; border-radius: 6px; margin: 0 0 16px; }
.notice.success { background: #dafbe1; border: 1px solid var(--ok); }
.notice.error { background: #ffebe9; border: 1px solid var(--bad); }
.key { border: 2px solid var(--ok); }
.warn { color: var(--bad); font-weight: 600; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: 4px 16px; margin: 0 0 12px; }
dt { color: var(--muted); }
dd { margin: 0; }
ol li { margin: 0 0 8px; }
`;

/** Copy buttons and the rotate confirmation; no inline handlers (the CSP allows only this nonce). */
const SCRIPT = `
document.querySelectorAll("button[data-copy]").forEach(function (button) {
  button.addEventListener("click", function () {
    var source = document.getElementById(button.getAttribute("data-copy"));
    if (!source) return;
    navigator.clipboard.writeText(source.textContent.trim()).then(function () {
      button.textContent = "Copied";
      setTimeout(function () { button.textContent = "Copy"; }, 2000);
    });
  });
});
document.querySelectorAll("form[data-confirm]").forEach(function (form) {
  form.addEventListener("submit", function (event) {
    if (!window.confirm(form.getAttribute("data-confirm"))) event.preventDefault();
  });
});
`;

const Copyable: FC<{ id: string; value: string; extraClass?: string }> = ({ id, value, extraClass }) => (
  <div class="value">
    <code id={id} class={extraClass ? `copyable ${extraClass}` : "copyable"}>
      {value}
    </code>
    <button type="button" data-copy={id}>
      Copy
    </button>
  </div>
);

const Csrf: FC<{ token: string }> = ({ token }) => <input type="hidden" name={CSRF_FIELD} value={token} />;

function formatExpiry(seconds: number | null): string {
  return seconds === null ? "never" : new Date(seconds * 1000).toISOString().replace(".000Z", "Z");
}

const ConnectionSection: FC<{ view: SetupPageView; actionBase: string }> = ({ view, actionBase }) => {
  if (view.connection === undefined) {
    return (
      <section id="connection">
        <h2>Connection</h2>
        <p class="warn">The provisioning service could not be reached. Reload the page to try again.</p>
      </section>
    );
  }
  if (view.connection === null) {
    return (
      <section id="connection">
        <h2>Connection</h2>
        <p>There is no SCIM connection for this customer yet. Creating one issues the API key your identity provider will use.</p>
        <form id="create-connection" method="post" action={`${actionBase}/connection`}>
          <Csrf token={view.csrfToken} />
          <label for="displayName">Display name (optional)</label>
          <p>
            <input type="text" id="displayName" name="displayName" maxlength={255} placeholder={`${view.customerId} SCIM`} />
          </p>
          <button type="submit" class="primary">
            Create connection and API key
          </button>
        </form>
      </section>
    );
  }
  return (
    <section id="connection">
      <h2>Connection</h2>
      <dl>
        <dt>Connection id</dt>
        <dd id="connection-id">{view.connection.connectionId}</dd>
        <dt>Display name</dt>
        <dd>{view.connection.displayName ?? "—"}</dd>
        <dt>API key expires</dt>
        <dd id="key-expires">{formatExpiry(view.connection.scimApiKeyValidUntil)}</dd>
      </dl>
      <p>The API key is shown only once, when it is created. If it is lost, rotate it: the old key stops working and the new one must be entered in your identity provider.</p>
      <form
        id="rotate-key"
        method="post"
        action={`${actionBase}/rotate-key`}
        data-confirm="Rotate the SCIM API key? The current key stops working and provisioning pauses until the new key is entered in your identity provider."
      >
        <Csrf token={view.csrfToken} />
        <button type="submit">Rotate API key</button>
      </form>
    </section>
  );
};

const MappingNote: FC<{ mapping: EffectiveMapping | null | undefined }> = ({ mapping }) => {
  if (mapping === undefined) return <p id="pool-mapping">The user pool mapping could not be read.</p>;
  if (mapping === null) {
    return (
      <p id="pool-mapping" class="warn">
        No user pool is mapped to this customer yet: provisioning will fail until the operator maps one.
      </p>
    );
  }
  return (
    <p id="pool-mapping">
      Users are provisioned into Cognito user pool <code>{mapping.userPoolId}</code>
      {mapping.shared ? " (shared pool)" : ""}.
    </p>
  );
};

const OktaSteps: FC<{ baseUrl: string }> = ({ baseUrl }) => (
  <section id="okta">
    <h2>Okta</h2>
    <ol>
      <li>
        In the Okta Admin Console open <b>Applications → Applications</b> and the app your employees use to sign in (or create an app
        integration). On the <b>General</b> tab, under <b>App Settings</b>, click <b>Edit</b>, set <b>Provisioning</b> to <b>SCIM</b> and save.
      </li>
      <li>
        Open the <b>Provisioning</b> tab → <b>Integration</b> → <b>Edit</b> and enter:
        <dl>
          <dt>SCIM connector base URL</dt>
          <dd>
            <code>{baseUrl}</code>
          </dd>
          <dt>Unique identifier field for users</dt>
          <dd>
            <code>userName</code>
          </dd>
          <dt>Supported provisioning actions</dt>
          <dd>Push New Users, Push Profile Updates (and Push Groups if you assign groups)</dd>
          <dt>Authentication Mode</dt>
          <dd>
            <b>HTTP Header</b>; paste the API key as the <b>Bearer</b> token (Authorization)
          </dd>
        </dl>
        Click <b>Test Connector Configuration</b>, then <b>Save</b>.
      </li>
      <li>
        Under <b>Provisioning → To App</b> click <b>Edit</b> and enable <b>Create Users</b>, <b>Update User Attributes</b> and{" "}
        <b>Deactivate Users</b>. Save.
      </li>
      <li>
        On the <b>Assignments</b> tab assign the people or groups who should get accounts. Okta provisions them right away.
      </li>
    </ol>
  </section>
);

const EntraSteps: FC<{ baseUrl: string }> = ({ baseUrl }) => (
  <section id="entra">
    <h2>Microsoft Entra ID</h2>
    <ol>
      <li>
        In the Microsoft Entra admin center open <b>Enterprise applications</b> and the application your employees use (or <b>New application</b>{" "}
        → <b>Create your own application</b> → <i>Integrate any other application you don't find in the gallery</i>).
      </li>
      <li>
        Open <b>Provisioning</b> (<b>Get started</b> / <b>New configuration</b>) and set <b>Provisioning Mode</b> to <b>Automatic</b>.
      </li>
      <li>
        Under <b>Admin Credentials</b> enter:
        <dl>
          <dt>Tenant URL</dt>
          <dd>
            <code>{baseUrl}</code>
          </dd>
          <dt>Secret Token</dt>
          <dd>the API key</dd>
        </dl>
        Click <b>Test Connection</b>, then <b>Save</b>.
      </li>
      <li>
        Under <b>Mappings → Provision Microsoft Entra ID Users</b> keep <code>userPrincipalName</code> → <code>userName</code> as the matching
        attribute; the default mappings for name, email and <code>active</code> work as they are.
      </li>
      <li>
        Under <b>Settings</b> choose <b>Sync only assigned users and groups</b>, assign people or groups under <b>Users and groups</b>, then set{" "}
        <b>Provisioning Status</b> to <b>On</b> and save. Entra ID syncs about every 40 minutes; use <b>Provision on demand</b> to try one user
        now.
      </li>
    </ol>
  </section>
);

const SetupPage: FC<{ view: SetupPageView }> = ({ view }) => {
  const actionBase = `/admin/setup/${encodeURIComponent(view.customerId)}`;
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="robots" content="noindex" />
        <title>{`SCIM provisioning setup — ${view.customerId}`}</title>
        <style nonce={view.nonce} dangerouslySetInnerHTML={{ __html: STYLE }} />
      </head>
      <body>
        <main>
          <h1>SCIM provisioning setup</h1>
          <p class="sub">
            Customer <code id="customer-id">{view.customerId}</code>
          </p>
          {view.notice ? (
            <div id="notice" class={`notice ${view.notice.tone}`} role={view.notice.tone === "error" ? "alert" : "status"}>
              {view.notice.text}
            </div>
          ) : null}
          {view.newKey !== undefined ? (
            <section id="new-key">
              <h2>Your new SCIM API key</h2>
              <p class="warn">Copy it now: it is shown only this once and cannot be displayed again.</p>
              <Copyable id="scim-api-key" value={view.newKey} extraClass="key" />
            </section>
          ) : null}
          <section id="base-url">
            <h2>SCIM base URL</h2>
            <Copyable id="scim-base-url" value={view.scimBaseUrl} />
            <MappingNote mapping={view.mapping} />
          </section>
          <ConnectionSection view={view} actionBase={actionBase} />
          <OktaSteps baseUrl={view.scimBaseUrl} />
          <EntraSteps baseUrl={view.scimBaseUrl} />
        </main>
        <script nonce={view.nonce} dangerouslySetInnerHTML={{ __html: SCRIPT }} />
      </body>
    </html>
  );
};

export async function renderSetupPage(view: SetupPageView): Promise<string> {
  return `<!DOCTYPE html>${await (<SetupPage view={view} />).toString()}`;
}
