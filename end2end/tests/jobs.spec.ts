import { expect, test } from "@playwright/test";
import { openChat, operatorWithPersona, say } from "./chat-helpers";
import { hydrated, unique } from "./helpers";

// The Jobs page: a background job that failed shows its error, and Retry queues it
// again. The fake LLM answers the sentiment job of a message with `UNSCORABLE!` in prose,
// which the scorer cannot read (the job fails at once, the chat is untouched).

test("a failed background job shows its error on the Jobs page and can be retried", async ({ browser }) => {
  const { op, id } = await operatorWithPersona(browser, unique("Jobs"));
  const on = await op.request.put(`/admin/templates/${id}/memory`, { data: { sentiment_enabled: true } });
  expect(on.ok()).toBeTruthy();
  const { chat } = await openChat(browser, `?persona=${id}`);
  // The reply arrives: a job that fails never touches the chat.
  await say(chat, "UNSCORABLE! how do you feel");

  const failed = async () => {
    const page = await (await op.request.get("/admin/jobs?state=failed&kind=score_sentiment")).json();
    return page.jobs.filter((j: { error?: string }) => (j.error ?? "").length > 0);
  };
  await expect.poll(async () => (await failed()).length).toBeGreaterThan(0);
  const job = (await failed())[0];

  await op.goto("/dashboard/jobs");
  await hydrated(op);
  await expect(op.getByRole("heading", { name: "Jobs", level: 1 })).toBeVisible();
  const row = op.getByTestId(`job-${job.id}`);
  await expect(row).toContainText("score_sentiment");
  await expect(row).toContainText("failed");
  await expect(row.locator(".error-text")).toHaveText(job.error);
  await op.screenshot({ path: test.info().outputPath("jobs-1280.png"), fullPage: true });

  await row.getByRole("button", { name: `Retry job ${job.id}` }).click();
  await expect(op.getByRole("status")).toHaveText(`Job ${job.id} is queued again.`);
  // It runs again (attempts counted from zero) and fails the same way: back in the
  // failed list, finished later than the first time.
  await expect
    .poll(async () => (await failed()).find((j: { id: number }) => j.id === job.id)?.finished_at ?? 0)
    .toBeGreaterThan(job.finished_at);

  // The other states are one click away; "all" lists every job.
  await op.getByRole("navigation", { name: "Job state" }).getByRole("link", { name: "All", exact: true }).click();
  await expect(op).toHaveURL(/state=all/);
  const tabs = op.getByRole("navigation", { name: "Job state" });
  await expect(tabs.getByRole("link", { name: "All", exact: true })).toHaveAttribute("aria-current", "page");
  await expect(tabs.locator('[aria-current="page"]')).toHaveCount(1);
  await expect(op.getByTestId(`job-${job.id}`)).toBeVisible();
});
