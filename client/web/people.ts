import type { Directory } from '../../policies/directory';
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
 * Who may record the board's decision at the last stage. For now a board officer of the dispute's
 * board; the "who decides" work replaces this one function.
 */
export function mayRecordLastStage(person: Viewer, dispute: { board: string }): boolean {
  return person.boards.includes(dispute.board);
}
