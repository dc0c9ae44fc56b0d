import { defineProject } from "vitest/config"

export default defineProject({
  resolve: { conditions: ["@reidfx/source"] },
  ssr: { resolve: { conditions: ["@reidfx/source"] } },
  test: { name: "torch-backend", include: ["test/**/*.test.ts"], testTimeout: 120_000, hookTimeout: 120_000 }
})
