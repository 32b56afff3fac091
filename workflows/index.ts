// The worker's workflow bundle: every workflow type the task queue serves.
export { probe } from './probe';
export { dispute } from './dispute/workflow';
export { replyAnswer } from './reply-answer';
export { recordsRetentionPurge } from './purge';
