import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { Status } from './model';
import type { DisputeView } from './model';

// Declared once; the workflow and every client import these, so no one spells a name twice.
// Updates answer at once (accepted, or rejected with the reason); signals are for callers that
// cannot wait (the Web UI, queues): a bad signal is recorded as rejected and changes nothing.

export interface Accepted {
  status: Status;
  stage: number;
  concludeBy: string | null;
}

export const recordOutcome = defineUpdate<Accepted, [unknown]>('recordOutcome');
export const raiseRisk = defineUpdate<Accepted, [unknown]>('raiseRisk');
export const withdraw = defineUpdate<Accepted, [unknown]>('withdraw');
export const changeContact = defineUpdate<Accepted, [unknown]>('changeContact');
export const addNote = defineUpdate<Accepted, [unknown]>('addNote');
/** A party's written representation to the board at the last stage. */
export const submitRepresentation = defineUpdate<Accepted, [unknown]>('submitRepresentation');
/** The last stage's panel members, or the route chosen (North Somerset: mediation or a panel). */
export const convene = defineUpdate<Accepted, [unknown]>('convene');
/** The answer to a closed dispute's form question (North Somerset: how effective the procedure was), from the person asked. */
export const answerForm = defineUpdate<Accepted, [unknown]>('answerForm');
/** An organisation's own decision and rationale, where the closing stage asks for each (Leeds stage 3). */
export const recordRationale = defineUpdate<Accepted, [unknown]>('recordRationale');

export const recordOutcomeSignal = defineSignal<[unknown]>('recordOutcomeSignal');
export const raiseRiskSignal = defineSignal<[unknown]>('raiseRiskSignal');
export const withdrawSignal = defineSignal<[unknown]>('withdrawSignal');
export const changeContactSignal = defineSignal<[unknown]>('changeContactSignal');
export const addNoteSignal = defineSignal<[unknown]>('addNoteSignal');
export const submitRepresentationSignal = defineSignal<[unknown]>('submitRepresentationSignal');
export const conveneSignal = defineSignal<[unknown]>('conveneSignal');
export const answerFormSignal = defineSignal<[unknown]>('answerFormSignal');
export const recordRationaleSignal = defineSignal<[unknown]>('recordRationaleSignal');

export const disputeState = defineQuery<DisputeView>('disputeState');

/** The type `ApplicationFailure`s of rejected messages carry, so clients can map them (e.g. to 409). */
export { RejectionType } from './procedure';
