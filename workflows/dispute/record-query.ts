import { defineQuery } from '@temporalio/workflow';
import type { RecordWrite } from '../../activities/records/types';

/** The dispute's whole record as a store write: how `dispute records sync` catches the store up. */
export const recordWriteQuery = defineQuery<RecordWrite>('recordWrite');
