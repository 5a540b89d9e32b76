/**
 * The Hono application: routing and the last-resort error handlers, nothing else. Each route
 * gets its upstream services from `createRequestServices`.
 */
import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { createAdminApp } from "./admin/admin-routes";
import { loadConfig, type Config } from "./config";
import { MAX_SCIM_BODY_BYTES } from "./constants";
import type { WorkerEnv } from "./env";
import { createRequestServices, type RuntimeDeps } from "./request-services";
import { healthResponse } from "./routes/health";
import { handleScimRequest } from "./routes/scim-ingress";
import { failureResponse } from "./scim/scim-error";

export type AppEnv = { Bindings: WorkerEnv; Variables: { config: Config } };

export function createApp(runtime: RuntimeDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const limitScimBody = bodyLimit({
    maxSize: MAX_SCIM_BODY_BYTES,
    onError: () => failureResponse({ kind: "body_too_large" }),
  });

  app.get("/healthz", async (c) => {
    const config = loadConfig(c.env);
    const services = config.ok ? createRequestServices(config.value, c.env, runtime) : undefined;
    return healthResponse(config.ok, services?.sidecar);
  });

  // Everything else needs a valid config; the base path itself is a setting.
  app.use("*", async (c, next) => {
    const config = loadConfig(c.env);
    if (!config.ok) {
      runtime.logger.log("error", "config_invalid", { variables: config.error.variables, path: new URL(c.req.url).pathname });
      return failureResponse({ kind: "config_invalid", variables: config.error.variables });
    }
    c.set("config", config.value);
    return next();
  });

  // Connection management API and setup page (off, i.e. 404, unless admin auth is configured).
  app.route("/admin", createAdminApp(runtime));

  app.all("*", async (c, next) => {
    const base = c.var.config.scimBasePath;
    const path = c.req.path;
    if (path !== base && !path.startsWith(`${base}/`)) return next();
    let handled: Response | undefined;
    const refused = await limitScimBody(c, async () => {
      handled = await handleScimRequest(c, createRequestServices(c.var.config, c.env, runtime));
    });
    return refused ?? handled ?? failureResponse({ kind: "internal", reason: "no response" });
  });

  app.notFound(() => failureResponse({ kind: "route_not_found" }));
  app.onError((error) => {
    runtime.logger.log("error", "unhandled_error", { errorName: error.name, errorMessage: error.message.slice(0, 200) });
    return failureResponse({ kind: "internal", reason: error.name });
  });
  return app;
}
