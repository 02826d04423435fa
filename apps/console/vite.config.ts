/// <reference types="vitest/config" />
import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";

// The gateway the dev server proxies /api to (`cargo xtask dev` sets NNO_GATEWAY).
const gateway = process.env.NNO_GATEWAY ?? "http://127.0.0.1:8787";

export default defineConfig({
  plugins: [react()],
  server: {
    // 127.0.0.1 so that http://127.0.0.1:5174 and http://localhost:5174 both reach it
    // (browsers fall back from ::1 to 127.0.0.1 for localhost); both are in the local
    // gateway's CORS_ORIGINS and iam's TRUSTED_ORIGINS.
    host: "127.0.0.1",
    port: 5174,
    strictPort: true,
    proxy: {
      // changeOrigin: the gateway sees its own Host. wrangler dev's proxy rewrites every
      // request header that contains the Host it was reached at (to the Worker's inner
      // URL), which would turn the browser's `Origin: http://localhost:5174` into an
      // origin the gateway does not trust. Origin and cookies stay the browser's: the
      // cookies the gateway sets carry no Domain, so they belong to the console's host.
      "/api": { target: gateway, changeOrigin: true },
    },
  },
  preview: { host: "127.0.0.1", port: 5174, strictPort: true },
  build: {
    target: "es2022",
    sourcemap: false,
  },
  test: {
    include: ["test/**/*.test.ts"],
    environment: "node",
    // The deployment the modules under test read at import (as a local build would).
    env: { VITE_APP_ENV: "local", VITE_GATEWAY_URL: "", VITE_PLATFORM_ID: "k3m9p2xw7q", VITE_FEATURES: "platforms" },
  },
});
