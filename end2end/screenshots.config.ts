// The README's screenshots (docs/*.png), made by scripts/screenshots: the
// same server set-up as the browser tests, but a test directory of its own,
// so `npx playwright test` never runs it.
import { defineConfig } from '@playwright/test';
import base from './playwright.config';

export default defineConfig({
  ...base,
  testDir: './screenshots',
  timeout: 180_000,
});
