import { defineProject } from "vitest/config"

export default defineProject({
  resolve: { conditions: ["@reidfx/source"] },
  ssr: { resolve: { conditions: ["@reidfx/source"] } },
  test: { name: "sweep", include: ["test/**/*.test.ts"], testTimeout: 180_000, hookTimeout: 120_000 }
})
