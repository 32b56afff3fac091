import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { z } from 'zod';
import { Contact, Slug, type Policy } from './schema';

// Who is who: each agency's escalation route and the named people at each stage, and each
// board's officers. Deployment data, validated like a policy.

export const AgencyType = z.enum([
  'adult-social-care',
  'gp-practice',
  'acute-hospital-trust',
  'mental-health',
  'police',
  'voluntary-sector',
  'community-health',
  'probation',
]);

export const Agency = z.object({
  id: Slug,
  name: z.string().min(1),
  type: AgencyType,
  boards: z.array(Slug).min(1),
  /** The agency's escalation route, lowest first, as its board lists it (e.g. NSAB Appendix 2). */
  route: z.array(z.string().min(1)).min(2),
  tiers: z
    .array(z.object({ stage: z.number().int().min(1), role: z.string().min(1), contacts: z.array(Contact).min(1) }))
    .min(1),
  designatedSafeguardingLead: Contact,
  boardRepresentative: Contact,
});
export type Agency = z.infer<typeof Agency>;

export const Directory = z
  .object({
    version: z.number().int().min(1),
    boards: z.record(Slug, z.object({ officers: z.record(Slug, Contact) })),
    agencies: z.array(Agency).min(1),
  })
  .superRefine((directory, context) => {
    const seen = new Set<string>();
    directory.agencies.forEach((agency, index) => {
      if (seen.has(agency.id)) context.addIssue({ code: 'custom', path: ['agencies', index, 'id'], message: `agency id '${agency.id}' is used twice` });
      seen.add(agency.id);
      const stages = agency.tiers.map((tier) => tier.stage);
      if (new Set(stages).size !== stages.length) {
        context.addIssue({ code: 'custom', path: ['agencies', index, 'tiers'], message: 'each stage may appear once' });
      }
      agency.boards.forEach((board, boardIndex) => {
        if (!directory.boards[board]) {
          context.addIssue({ code: 'custom', path: ['agencies', index, 'boards', boardIndex], message: `board '${board}' is not in this directory's boards` });
        }
      });
    });
  });
export type Directory = z.infer<typeof Directory>;

export const demoDirectoryFile = fileURLToPath(new URL('./directory/demo.yaml', import.meta.url));

export class DirectoryError extends Error {
  override name = 'DirectoryError';
}

export function parseDirectory(data: unknown, origin: string): Directory {
  const parsed = Directory.safeParse(data);
  if (!parsed.success) {
    const details = parsed.error.issues.map((issue) => `${issue.path.join('.') || '(top level)'}: ${issue.message}`);
    throw new DirectoryError(`${origin} is not a valid agency directory:\n  ${details.join('\n  ')}`);
  }
  return parsed.data;
}

export function loadDirectory(path: string = demoDirectoryFile): Directory {
  return parseDirectory(parse(readFileSync(path, 'utf8')), basename(path));
}

/** What a board's policy needs from the directory and does not find there. */
export function checkDirectoryFor(directory: Directory, policy: Policy): string[] {
  const problems: string[] = [];
  const board = directory.boards[policy.board.id];
  if (!board) return [`the directory has no board '${policy.board.id}'`];
  for (const [officer, { email }] of Object.entries(policy.officers)) {
    if (!board.officers[officer] && !email) problems.push(`board '${policy.board.id}' has no contact for officer '${officer}'`);
  }
  const agencies = directory.agencies.filter((agency) => agency.boards.includes(policy.board.id));
  if (agencies.length < 2) problems.push(`board '${policy.board.id}' needs at least two agencies to have a dispute`);
  for (const agency of agencies) {
    for (const stage of policy.stages) {
      if (!agency.tiers.some((tier) => tier.stage === stage.stage)) {
        problems.push(`agency '${agency.id}' has no contacts for stage ${stage.stage} of ${policy.id}`);
      }
    }
  }
  return problems;
}

export function agenciesOfBoard(directory: Directory, boardId: string): Agency[] {
  return directory.agencies.filter((agency) => agency.boards.includes(boardId));
}
