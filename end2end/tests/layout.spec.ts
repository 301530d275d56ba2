// Phones: at 320 and 375 CSS pixels wide, no page scrolls sideways, and
// every tab of the Security tab bar is whole on the screen (none cut off or
// hidden in a scrolling strip).
import { test, expect, type Page } from '@playwright/test';
import { GUEST_PAGES, PUBLIC_PAGES, SECURITY_TABS, SIGNED_IN_PAGES, hydrated, signIn, signUp, uniqueName } from './helpers';

test.setTimeout(120_000);

/** No horizontal overflow; when there is some, the elements that reach
 * past the right edge are named in the failure. */
async function fits(page: Page, what: string) {
  const { scroll, client, wide } = await page.evaluate(() => {
    const client = document.documentElement.clientWidth;
    const wide = [...document.querySelectorAll('body *')]
      .filter((e) => e.getBoundingClientRect().right > client + 0.5)
      .slice(0, 8)
      .map((e) => `${e.tagName.toLowerCase()}${e.className ? '.' + String(e.className).trim().replace(/\s+/g, '.') : ''} (right edge ${Math.round(e.getBoundingClientRect().right)})`);
    return { scroll: document.documentElement.scrollWidth, client, wide };
  });
  expect.soft(scroll, `${what}: ${scroll}px of content in a ${client}px-wide page; past the edge: ${wide.join(', ')}`).toBeLessThanOrEqual(client);
}

/** Each tab's box lies inside the viewport and inside the tab bar's own
 * visible box (a bar that scrolls would clip the last ones). */
async function tabsVisible(page: Page, width: number, what: string) {
  const bar = page.getByRole('navigation', { name: 'Security', exact: true });
  const barBox = await bar.evaluate((e) => {
    const r = e.getBoundingClientRect();
    return { left: r.left, right: r.left + e.clientWidth };
  });
  const tabs = bar.getByRole('link');
  await expect(tabs).toHaveCount(SECURITY_TABS.length);
  for (const tab of await tabs.all()) {
    const name = (await tab.innerText()).trim();
    const box = await tab.boundingBox();
    expect.soft(box, `${what}: tab ${name} has a box`).not.toBeNull();
    if (!box) continue;
    const inside = box.x >= 0 && box.x + box.width <= width && box.x >= barBox.left - 0.5 && box.x + box.width <= barBox.right + 0.5;
    expect.soft(inside, `${what}: tab “${name}” spans ${Math.round(box.x)}–${Math.round(box.x + box.width)} px; screen 0–${width}, bar ${Math.round(barBox.left)}–${Math.round(barBox.right)}`).toBe(true);
  }
}

for (const width of [320, 375]) {
  test.describe(`${width} px wide`, () => {
    test.use({ viewport: { width, height: 740 }, isMobile: true, hasTouch: true });

    test(`no page scrolls sideways and every Security tab is in view at ${width} px`, async ({ page }) => {
      for (const path of [...GUEST_PAGES, ...PUBLIC_PAGES]) {
        await page.goto(path);
        await hydrated(page);
        await fits(page, `${path} (signed out)`);
      }
      const user = uniqueName(`w${width}`);
      await signUp(page, user, true, false);
      await signIn(page, user);
      await page.goto('/reports');
      await hydrated(page);
      await fits(page, '/reports (empty)');
      await page.getByRole('button', { name: 'Add sample data' }).click();
      await expect(page.getByRole('heading', { name: /^Today/ })).toBeVisible({ timeout: 30_000 });
      for (const path of [...SIGNED_IN_PAGES, ...PUBLIC_PAGES]) {
        await page.goto(path);
        await hydrated(page);
        await fits(page, `${path} (signed in)`);
        if (SECURITY_TABS.some((t) => path.startsWith(t))) await tabsVisible(page, width, path);
      }
      // The profile menu opens inside the screen.
      await page.goto('/account/security/sessions');
      await hydrated(page);
      await page.getByLabel(`Profile menu for ${user}`).click();
      await expect(page.getByRole('button', { name: 'Sign out' })).toBeInViewport({ ratio: 1 });
      await fits(page, 'the profile menu, open');
      // Reporting's day table, open, scrolls inside its own box.
      await page.goto('/reports?range=30d');
      await hydrated(page);
      await page.getByText('Calls per day as a table').click();
      await fits(page, '/reports?range=30d with the day table open');
    });
  });
}
