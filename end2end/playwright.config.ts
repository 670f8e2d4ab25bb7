import { defineConfig } from "@playwright/test";

// The server under test: the release build, a fresh SQLite database, and a fake
// OpenAI-compatible LLM on loopback (the only stand-in). Debian's Chromium, no download.
const PORT = Number(process.env.E2E_PORT ?? 8011);
const LLM_PORT = Number(process.env.E2E_LLM_PORT ?? 8012);
process.env.E2E_EMAIL ??= "operator@e2e.test";
process.env.E2E_PASSWORD ??= "e2e-password-123";

export default defineConfig({
  testDir: "./tests",
  workers: 1,
  timeout: 90_000,
  expect: { timeout: 15_000 },
  reporter: [["list"]],
  use: {
    baseURL: `http://127.0.0.1:${PORT}`,
    trace: "retain-on-failure",
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
      args: [
        "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
      ],
    },
  },
  webServer: [
    {
      command: `node fake-llm.mjs ${LLM_PORT}`,
      url: `http://127.0.0.1:${LLM_PORT}/health`,
      reuseExistingServer: false,
      stdout: "ignore",
    },
    {
      command: "bash start-server.sh",
      url: `http://127.0.0.1:${PORT}/health`,
      reuseExistingServer: false,
      timeout: 120_000,
      env: {
        E2E_PORT: String(PORT),
        E2E_LLM_PORT: String(LLM_PORT),
        E2E_EMAIL: process.env.E2E_EMAIL!,
        E2E_PASSWORD: process.env.E2E_PASSWORD!,
      },
    },
  ],
});
