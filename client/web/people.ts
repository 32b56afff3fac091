import type { Directory } from '../../policies/directory';
import type { Policy } from '../../policies/schema';
import type { Viewer } from '../access';

// Who may sign in: everyone the agency directory names. A board's officers act for their board;
// an agency's tier contacts, safeguarding lead and board representative act for their agency.

export interface Person extends Viewer {
  email: string;
  name: string;
}

export function findPerson(directory: Directory, address: string): Person | null {
  const email = address.trim().toLowerCase();
  let name: string | null = null;
  const boards: string[] = [];
  const agencies: string[] = [];
  for (const [boardId, board] of Object.entries(directory.boards)) {
    for (const officer of Object.values(board.officers)) {
      if (officer.email.toLowerCase() === email) {
        name ??= officer.name;
        if (!boards.includes(boardId)) boards.push(boardId);
      }
    }
  }
  for (const agency of directory.agencies) {
    const contacts = [...agency.tiers.flatMap((tier) => tier.contacts), agency.designatedSafeguardingLead, agency.boardRepresentative];
    const found = contacts.find((contact) => contact.email.toLowerCase() === email);
    if (found) {
      name ??= found.name;
      agencies.push(agency.id);
    }
  }
  return name === null ? null : { email, name, boards, agencies };
}

/** The boards a person works with: those they are an officer of, and those of their agencies. */
export function boardsOf(directory: Directory, person: Viewer): string[] {
  const boards = new Set(person.boards);
  for (const agency of directory.agencies) if (person.agencies.includes(agency.id)) agency.boards.forEach((board) => boards.add(board));
  return [...boards];
}

/**
 * Who may record the board's outcome at the last stage, as the policy says: the board's officers it
 * names, or a member of the panel recorded on the dispute. The workflow's validator has the last
 * word; this only decides whether the page offers the form.
 */
export function mayRecordLastStage(
  person: Person,
  dispute: { board: string; panel?: { members: string[] } | undefined },
  policy: Policy | undefined,
  directory: Directory,
): boolean {
  const rule = policy?.lastStage?.recordedBy;
  if (!rule) return person.boards.includes(dispute.board);
  const officers = directory.boards[dispute.board]?.officers ?? {};
  const named = rule.officers.some((id) => officers[id]?.email.toLowerCase() === person.email);
  const onPanel = rule.panel && (dispute.panel?.members ?? []).some((member) => member.toLowerCase() === person.email);
  return named || onPanel;
}
