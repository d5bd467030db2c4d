import { maskRunReport, type RunReport } from '@converge/engine';

function esc(s: string): string {
  // XML 1.0 forbids most control characters even when escaped.
  return s
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;');
}

/**
 * JUnit XML for CI dashboards: one `<testsuite>` per host, one `<testcase>` per task on that
 * host; failed tasks are `<failure>`s, skipped tasks `<skipped/>`, and so are tasks whose change
 * is known after apply (check mode, message `unknown: ...`), unreachable hosts one
 * `<error>` with the reason (message, code as `type`, hint); a diff or a task's output (`debug`) is its `<system-out>`. Secrets are masked
 * in the report's data before it is framed. Format: the de-facto JUnit schema read by Jenkins, GitLab and GitHub reporters.
 */
export function renderJunit(unmasked: RunReport): string {
  const report = maskRunReport(unmasked);
  const hosts = Object.keys(report.summary);
  const suites = hosts.map((host) => {
    const tasks = report.tasks.filter((t) => t.host === host);
    const s = report.summary[host];
    const cases = tasks.map((t) => {
      const time = (t.durationMs / 1000).toFixed(3);
      const head = `    <testcase classname="${esc(`${host}.${t.play}`)}" name="${esc(t.task)}" time="${time}">`;
      let body = '';
      if (t.status === 'failed' && !t.ignored && !t.rescued) body = `\n      <failure message="${esc((t.message ?? 'failed').split('\n')[0] ?? '')}" type="${esc(t.code ?? 'failed')}">${esc(t.message ?? '')}</failure>\n    `;
      else if (t.status === 'skipped') body = `\n      <skipped message="${esc(t.message ?? '')}"/>\n    `;
      // Known after apply (check mode): not a certain change, shown apart from the passed cases.
      else if (t.status === 'unknown') body = `\n      <skipped message="${esc(`unknown: ${t.message ?? 'known after apply'}`)}"/>${t.diff ? `\n      <system-out>${esc(t.diff)}</system-out>` : ''}\n    `;
      else if (t.status === 'changed' && t.diff) body = `\n      <system-out>${esc(t.diff)}</system-out>\n    `;
      else if (t.output !== undefined) body = `\n      <system-out>${esc(t.output)}</system-out>\n    `;
      return `${head}${body}</testcase>`;
    });
    if (s?.unreachable) {
      const why = report.unreachable?.[host];
      const text = why ? `${why.message}${why.hint ? `\nhint: ${why.hint}` : ''}` : 'host unreachable';
      cases.push(`    <testcase classname="${esc(host)}" name="connect"><error message="${esc(text.split('\n')[0] ?? '')}" type="${esc(why?.code ?? 'unreachable')}">${esc(text)}</error></testcase>`);
    }
    const failures = tasks.filter((t) => t.status === 'failed' && !t.ignored && !t.rescued).length;
    const skipped = tasks.filter((t) => t.status === 'skipped' || t.status === 'unknown').length;
    return `  <testsuite name="${esc(host)}" tests="${cases.length}" failures="${failures}" errors="${s?.unreachable ?? 0}" skipped="${skipped}">\n${cases.join('\n')}\n  </testsuite>`;
  });
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="converge">\n${suites.join('\n')}\n</testsuites>\n`;
}
