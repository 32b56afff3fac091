import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { Directory, type Agency } from './directory-schema';
import type { Policy } from './schema';

export * from './directory-schema';

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
