// Playwright against the release build, in Debian's Chromium (Playwright
// cannot download its own browser here). The server starts on its own port
// with a fresh SQLite data directory for every run.
import { defineConfig } from '@playwright/test';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const port = Number(process.env.WARDEN_E2E_PORT ?? 3107);
// Made once by the runner; its workers inherit the variable, so the specs
// find the mail outbox (<data dir>/outbox) of the server this config starts.
const dataDir = (process.env.WARDEN_E2E_DATA_DIR ??= mkdtempSync(join(tmpdir(), 'warden-e2e-')));

export default defineConfig({
  testDir: './tests',
  timeout: 90_000,
  expect: { timeout: 10_000 },
  fullyParallel: false,
  workers: 1,
  retries: 0,
  reporter: [['list']],
  use: {
    // A host name, not an IP address: WebAuthn's relying party id must be a
    // domain, and the server's public URL (below) names the same one.
    baseURL: `http://localhost:${port}`,
    trace: 'retain-on-failure',
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: [
        '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
        '--disable-background-networking', '--disable-component-update', '--disable-sync',
      ],
    },
  },
  webServer: {
    command: './target/release/server',
    cwd: '..',
    url: `http://127.0.0.1:${port}/signin`,
    reuseExistingServer: false,
    timeout: 60_000,
    stdout: 'pipe',
    env: {
      WARDEN_BIND: `127.0.0.1:${port}`,
      WARDEN_PUBLIC_URL: `http://localhost:${port}`,
      WARDEN_DATA_DIR: dataDir,
      LEPTOS_SITE_ROOT: 'target/site',
      RUST_LOG: 'warn',
      // Every spec signs up its own account from 127.0.0.1: more than the
      // default 10 an hour.
      WARDEN_SIGN_UPS_PER_HOUR: '100',
      // The webhook spec's receiver listens on 127.0.0.1: allowed only with this.
      WARDEN_WEBHOOKS_ALLOW_PRIVATE: '1',
      // Every browser here comes from 127.0.0.1: trusting X-Forwarded-For
      // from it lets was_this_you.spec.ts sign in from "another network"
      // (a context with that header). Without the header the client address
      // stays 127.0.0.1, so the other specs see no difference.
      WARDEN_TRUSTED_PROXY: '127.0.0.1',
    },
  },
});
