import { defineProject } from "vitest/config"

export default defineProject({
  resolve: { conditions: ["@reidfx/source"] },
  ssr: { resolve: { conditions: ["@reidfx/source"] } },
  test: { name: "examples", include: ["test/**/*.test.ts"], testTimeout: 600_000 }
})
