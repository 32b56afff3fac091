// Who may see a dispute: the one rule the API keys and the board pages both follow. A board's
// officer (or key) sees every dispute of that board; an agency's person (or key) sees the
// disputes that agency is party to. Anything else does not exist for them.

export interface Viewer {
  /** Boards whose officer this is. */
  boards: readonly string[];
  /** Agencies this person (or key) speaks for. */
  agencies: readonly string[];
}

export interface Visible {
  board: string;
  /** Agency ids of the parties. */
  agencies: readonly string[];
}

export function maySee(viewer: Viewer, dispute: Visible): boolean {
  return viewer.boards.includes(dispute.board) || dispute.agencies.some((agency) => viewer.agencies.includes(agency));
}

/** An API key's caller as a viewer. */
export function viewerOfCaller(caller: { kind: 'agency'; agencyId: string } | { kind: 'board'; boardId: string }): Viewer {
  return caller.kind === 'agency' ? { boards: [], agencies: [caller.agencyId] } : { boards: [caller.boardId], agencies: [] };
}
