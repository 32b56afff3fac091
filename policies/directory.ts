import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { z } from 'zod';
import { Agency, domainOf } from './directory-schema';
import { Contact, Slug, type Policy } from './schema';

export * from './directory-schema';

/** A directory file: the boards' officers and every agency, checked across agencies. */
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
      if (!agency.emailDomains) {
        context.addIssue({ code: 'custom', path: ['agencies', index, 'emailDomains'], message: 'each agency needs its mail domains (emailDomains)' });
      } else {
        const people = [...agency.tiers.flatMap((tier) => tier.contacts), agency.designatedSafeguardingLead, agency.boardRepresentative];
        for (const person of people) {
          if (!agency.emailDomains.includes(domainOf(person.email))) {
            context.addIssue({ code: 'custom', path: ['agencies', index, 'emailDomains'], message: `${person.email} is not in ${agency.id}'s emailDomains` });
          }
        }
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
