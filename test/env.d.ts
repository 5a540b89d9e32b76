declare namespace Cloudflare {
  interface Env {
    POOLS: KVNamespace;
  }
}
