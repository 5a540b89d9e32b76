declare namespace Cloudflare {
  interface Env {
    POOLS: KVNamespace;
  }
}

declare namespace Cloudflare {
  interface GlobalProps {
    mainModule: typeof import("../src/index");
  }
}
