import type { RequestStatus } from './request-lifecycle.js';
import type { TargetProgress } from './request.js';

/**
 * One bundle pick as its requester's DM shows it: each part (one request per flow) with where it stands,
 * and the parts left out because the requester could not request them. Pure data for the renderer.
 */
export interface BundlePickView {
  id: string;
  bundleName: string;
  requesterId: string;
  leftOut: string[];
  /** The requester's DM about it, once posted. */
  message: { channel: string; ts: string } | null;
  parts: BundlePartView[];
}

export interface BundlePartView {
  requestId: string;
  flowName: string;
  resources: string[];
  status: RequestStatus;
  /** Who was asked to decide it (shown while pending). */
  approvers: string[];
  /** Its grant's targets once granted: a granted part is "being set up" until none is pending. */
  targets: TargetProgress[];
}

/** "3 parts": how many resources the pick asked for over all its requests. */
export const partCount = (v: Pick<BundlePickView, 'parts'>) => v.parts.reduce((n, p) => n + p.resources.length, 0);
