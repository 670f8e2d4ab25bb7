import { expect, test } from "@playwright/test";
import { composer, guardrailFor, openChat, operatorWithPersona, say } from "./chat-helpers";
import { hydrated, unique } from "./helpers";

// Guardrails: a halt rule trips in a user's chat, and the operator's open monitor tab
// shows the alert notice and the hit badge without a reload; the editor tests text live.

test("a halt rule raises the alert in the operator's open tab and badges the message", async ({ browser }) => {
  const { op, id } = await operatorWithPersona(browser, unique("Guarded"));
  await guardrailFor(op, id, [
    { type: "block_input", name: "minor", action: "halt", keywords: ["I am 13 years old"] },
  ]);
  const { chat, uid } = await openChat(browser, `?persona=${id}`);
  await say(chat, "hello there");
  const user = await uid();

  // The operator watches the conversation (and the alert notices of every dashboard page).
  await op.goto(`/dashboard/monitor/${user}`);
  await hydrated(op);
  await expect(op.getByTestId("user-status")).toHaveText("active");

  await composer(chat).fill("I am 13 years old");
  await composer(chat).press("Enter");
  await expect(chat.getByText(/Conversation paused/).first()).toBeVisible();

  // Live, no reload: the notice names the user and the rule and links to the conversation.
  const notice = op.getByTestId("alert-toast");
  await expect(notice).toHaveCount(1);
  await expect(notice.getByRole("link")).toHaveText(`Halted: ${user} — rule minor`);
  await expect(notice.getByRole("link")).toHaveAttribute("href", `/dashboard/monitor/${user}`);
  await expect(op.getByTestId("user-status")).toHaveText("halted");
  const flagged = op.locator("li.msg[data-sender=user]").filter({ hasText: "I am 13 years old" });
  await expect(flagged.getByTestId("guardrail-hit")).toHaveText("halt: minor");
  await op.screenshot({ path: test.info().outputPath("guardrail-alert.png"), fullPage: true });

  await notice.getByRole("button", { name: "Dismiss" }).click();
  await expect(op.getByTestId("alert-toast")).toHaveCount(0);
  // The badge stays after a reload (the hit is stored).
  await op.reload();
  await hydrated(op);
  await expect(flagged.getByTestId("guardrail-hit")).toHaveText("halt: minor");
});

test("the editor shows which rules match a text, live, and lists the presets", async ({ browser }) => {
  const { op, id } = await operatorWithPersona(browser, unique("Edited"));
  const gid = await guardrailFor(op, id, [{ type: "flag", name: "sadness", keywords: ["sad"] }]);
  await op.goto("/dashboard/guardrails");
  await hydrated(op);
  for (const preset of ["unrestricted", "research_safe", "clinical", "companion_safety"]) {
    await expect(op.getByTestId(`guardrail-${preset}`)).toBeVisible();
  }
  await op.goto(`/dashboard/guardrails/${gid}`);
  await hydrated(op);
  await expect(op.getByRole("group", { name: "Rule 1" })).toBeVisible();
  const text = op.getByRole("textbox", { name: "Text", exact: true });
  await text.fill("I feel sad");
  await expect(op.getByTestId("test-result")).toContainText("sadness (flag) → flag");
  await text.fill("I feel fine");
  await expect(op.getByTestId("test-result")).toContainText("No rule matches.");
  // A rule added in the editor (unsaved) counts at once.
  await op.getByRole("button", { name: "Add rule" }).click();
  const second = op.getByRole("group", { name: "Rule 2" });
  await second.getByLabel("Keywords (one per line)").fill("fine");
  await text.fill("I feel fine!");
  await expect(op.getByTestId("test-result")).toContainText("#2 block_input (block_input) → block");
});
