/**
 * Slack renders `mrkdwn`, so everything that comes from a run (summaries, reasons,
 * comments) is escaped: a `<!channel>` inside a release note must not ping a whole channel.
 */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
