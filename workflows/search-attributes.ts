import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

// Operators filter disputes in the Web UI and the API lists them by these. None may hold personal
// data: only board, policy, stage, status, risk, the current deadline and agency ids.
export const DisputeBoard = defineSearchAttributeKey('DisputeBoard', SearchAttributeType.KEYWORD);
export const DisputePolicy = defineSearchAttributeKey('DisputePolicy', SearchAttributeType.KEYWORD);
export const DisputeStage = defineSearchAttributeKey('DisputeStage', SearchAttributeType.INT);
export const DisputeStatus = defineSearchAttributeKey('DisputeStatus', SearchAttributeType.KEYWORD);
export const DisputeRisk = defineSearchAttributeKey('DisputeRisk', SearchAttributeType.KEYWORD);
export const DisputeDeadline = defineSearchAttributeKey('DisputeDeadline', SearchAttributeType.DATETIME);
export const DisputeAgencies = defineSearchAttributeKey('DisputeAgencies', SearchAttributeType.KEYWORD_LIST);

export const searchAttributes = [
  DisputeBoard,
  DisputePolicy,
  DisputeStage,
  DisputeStatus,
  DisputeRisk,
  DisputeDeadline,
  DisputeAgencies,
] as const;
