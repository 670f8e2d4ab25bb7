import { expect, test } from "@playwright/test";
import { hydrated, login, unique } from "./helpers";

// Issue 11: the request log — filter to one call, open it, see the exact prompt sent;
// linked both ways with the conversation.

test("the request log filters to a call and shows the exact prompt sent", async ({ page }) => {
  await login(page);
  const name = unique("Logged");
  const res = await page.request.post("/admin/templates", {
    data: { name, content: `You are ${name}. Speak to {{ user_id }} kindly.` },
  });
  expect(res.status()).toBe(201);
  const user = unique("log-user").replace(/\s/g, "-");
  const chat = await page.request.post("/chat", { data: { user_id: user, message: "what is the log?", template_name: name } });
  expect(chat.ok()).toBeTruthy();

  await page.goto("/dashboard/requests");
  await hydrated(page);
  await expect(page.getByRole("heading", { name: "Request log" })).toBeVisible();
  await page.getByLabel("User").fill(user);
  await page.getByLabel("Source").selectOption("chat");
  await page.getByRole("button", { name: "Filter" }).click();
  await expect(page).toHaveURL(new RegExp(`user=${user}`));
  const rows = page.getByTestId("request-row");
  await expect(rows).toHaveCount(1);
  await expect(rows.first()).toContainText(`${name} v1`);
  await expect(rows.first()).toContainText("ok");
  await page.screenshot({ path: test.info().outputPath("requests-1280.png"), fullPage: true });

  // The call in full: the rendered system prompt and the user's message, as sent.
  await rows.first().getByRole("link").first().click();
  await expect(page).toHaveURL(/\/dashboard\/requests\/\d+$/);
  await expect(page.getByRole("heading", { name: /^Request #\d+$/ })).toBeVisible();
  const sent = page.getByTestId("request-messages");
  await expect(sent.locator("li[data-role=system] pre")).toContainText(`You are ${name}. Speak to ${user} kindly.`);
  await expect(sent.locator("li[data-role=user] pre")).toHaveText("what is the log?");
  await expect(page.getByTestId("request-reply")).toContainText("what is the log?");
  await expect(page.getByTestId("request-parameters")).toContainText("Max tokens");
  await page.screenshot({ path: test.info().outputPath("request-detail-1280.png"), fullPage: true });

  // From the call to its conversation.
  await page.getByTestId("request-conversation").click();
  await expect(page).toHaveURL(new RegExp(`/dashboard/monitor/${user}$`));
  await expect(page.getByText("what is the log?").first()).toBeVisible();
});

test("a filter that matches nothing says so", async ({ page }) => {
  await login(page);
  await page.goto("/dashboard/requests?q=no-such-text-anywhere-xyz");
  await hydrated(page);
  await expect(page.getByText("No LLM call matches.")).toBeVisible();
});
