// The preview bundle: the production workflow types plus the preview, which runs a dispute on a
// shifted clock. Only the simulator's and the tests' workers load it.
export * from './index';
export { disputePreview } from './dispute/preview';
