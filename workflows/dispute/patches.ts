/** Whether a patch applies to this dispute. */
export type Applied = (patchId: string) => boolean;

/**
 * Under the one patch marker, the patches made before it apply without markers of their own; any
 * other (one added later) is still asked on its own, so a dispute running when it ships keeps the
 * path it was recorded on.
 */
export function appliedPatches(onePatchMarker: boolean, earlier: ReadonlySet<string>, ask: Applied): Applied {
  return onePatchMarker ? (patchId) => earlier.has(patchId) || ask(patchId) : ask;
}
