import { countBySeverity, formatFinding } from '../checks/finding.js';
import { formatPorts } from '../connectivity.js';
import { flowClass } from './graph.js';
import { type ReportModel, WORKLOAD_COLUMNS } from './report-model.js';

/** A pull-request comment: the same facts as the HTML, without the picture. */
function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

export function renderMarkdown(model: ReportModel, htmlFile: string): string {
  const counts = countBySeverity(model.findings);
  const flows = model.connectivity.flows.map((flow) => {
    const how = flowClass(flow) === 'l7' ? 'L7 (mTLS identity)' : flowClass(flow) === 'refused' ? `L4, Linkerd refuses ${formatPorts(flow.refusedByLinkerd)}` : 'L4 (NetworkPolicy only)';
    return `| ${cell(flow.from.label)} | ${cell(flow.to.label)} | ${cell(formatPorts(flow.ports))} | ${how} |`;
  });
  const workloads = model.workloads.map((workload) => `| ${WORKLOAD_COLUMNS.map((column) => cell(column.cell(workload))).join(' | ')} |`);
  return [
    `## Security report: ${model.name}`,
    '',
    `\`${model.directory}\` · ${model.objectCount} objects · ${model.connectivity.flows.length} allowed flows · target Kubernetes ${model.target.version} · **${counts.fail} FAIL, ${counts.warn} WARN** · picture: \`${htmlFile}\``,
    '',
    '### Allowed flows',
    '',
    '| from | to | ports | layer |',
    '|---|---|---|---|',
    ...flows,
    '',
    '### Workloads',
    '',
    `| ${WORKLOAD_COLUMNS.map((column) => column.heading).join(' | ')} |`,
    `|${WORKLOAD_COLUMNS.map(() => '---').join('|')}|`,
    ...workloads,
    '',
    '### Findings',
    '',
    ...(model.findings.length ? ['```', ...model.findings.map(formatFinding), '```'] : ['none']),
    '',
  ].join('\n');
}
