import { expect, type Page } from "@playwright/test";

/** Waits until the WebAssembly app has hydrated the page (the app sets the marker). */
export async function hydrated(page: Page) {
  await expect(page.locator("body[data-hydrated=true]")).toBeAttached({ timeout: 30_000 });
}

/** A name no other test (or an earlier run against the same database) uses. */
export function unique(base: string) {
  return `${base} ${Date.now().toString(36)}${Math.floor(Math.random() * 1000)}`;
}

export async function login(page: Page) {
  await page.goto("/login");
  await hydrated(page);
  await page.getByLabel("Email").fill(process.env.E2E_EMAIL!);
  await page.getByLabel("Password").fill(process.env.E2E_PASSWORD!);
  await page.getByRole("button", { name: "Log in" }).click();
  await expect(page).toHaveURL(/\/dashboard$/);
  await expect(page.getByRole("heading", { name: "Overview" })).toBeVisible();
}

/**
 * Publishes the persona open in the editor: a persona created in the dashboard is a
 * draft, which chat neither offers nor answers until production points at a version.
 */
export async function publish(page: Page) {
  await page.getByTestId("draft-notice").getByRole("button", { name: /^Publish v\d+$/ }).click();
  const dialog = page.getByRole("dialog", { name: /^Publish v\d+\?$/ });
  await dialog.getByRole("button", { name: "Publish", exact: true }).click();
  await expect(dialog).toHaveCount(0);
  await expect(page.getByTestId("production-version")).toBeVisible();
  await expect(page.getByTestId("draft")).toHaveCount(0);
}
