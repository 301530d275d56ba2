// The bundle is split per page (cargo leptos --split): each page hydrates
// from the main bundle plus its own chunk, with no error in the console.
// (Which other chunks the loader prefetches is its own business.)
import { test, expect } from '@playwright/test';
import { hydrated, signIn, signUp, uniqueName } from './helpers';

test('every page hydrates with its own chunk and no errors', async ({ page }) => {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console: ${m.text()}`);
  });
  const chunks: string[] = [];
  // How each piece of code and style came: compressed, as the browser asked.
  const encodings = new Map<string, string>();
  page.on('response', async (r) => {
    const name = new URL(r.url()).pathname;
    if (name.startsWith('/pkg/') && name.endsWith('.wasm')) chunks.push(name);
    if (name.startsWith('/pkg/')) encodings.set(name, (await r.allHeaders())['content-encoding'] ?? 'none');
  });

  const user = uniqueName('chunk');
  await signUp(page, user);
  await signIn(page, user);
  const pages: [string, RegExp][] = [
    ['/account/security/sessions', /split___sessions_route_view/],
    ['/account/security/password', /split___password_route_view/],
    ['/account/security/2fa', /split___two_factor_route_view/],
    ['/account/security/sessions/log-out-all', /split___log_out_all_route_view/],
  ];
  for (const [path, chunk] of pages) {
    chunks.length = 0;
    await page.goto(path);
    await hydrated(page);
    await expect.poll(() => chunks.some((c) => chunk.test(c)), { message: `${path} loads its chunk` }).toBe(true);
  }
  // Moving between tabs in the browser brings the next page's chunk into
  // this document: fetched on the click, or already prefetched by the
  // loader while Login Security hydrated (so counted from the navigation on,
  // not from the click: the loader may be quicker than the test).
  chunks.length = 0;
  await page.goto('/account/security/sessions');
  await hydrated(page);
  await page.getByRole('navigation', { name: 'Security' }).getByRole('link', { name: 'Password', exact: true }).click();
  await expect(page.getByLabel('Current password')).toBeVisible();
  await expect.poll(() => chunks.some((c) => /split___password_route_view/.test(c)), { message: 'the Password tab brings its chunk' }).toBe(true);
  expect(errors).toEqual([]);
  // Code and styles travel compressed (about a third of their size).
  for (const file of ['/pkg/warden.wasm', '/pkg/warden.js', '/pkg/warden.css']) {
    expect(['br', 'gzip', 'zstd'], `${file} came as ${encodings.get(file)}`).toContain(encodings.get(file));
  }
  const chunkEncodings = [...encodings].filter(([n]) => /split___/.test(n)).map(([, e]) => e);
  expect(chunkEncodings.length).toBeGreaterThan(0);
  expect(chunkEncodings.filter((e) => e === 'none')).toEqual([]);
});
