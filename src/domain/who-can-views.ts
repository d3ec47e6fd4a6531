import type { OnCallRef } from './on-call.js';
import type { Resource } from './resource.js';

/** What domain/who-can.ts answers: plain data the Slack renderers, the HTTP API and the policy tests read. */

/** Who is on call now on a reference, as far as the caller asked. */
export type OnCallNow =
  | { state: 'not_asked'; reason: string }
  | { state: 'on_call'; people: string[] }
  | { state: 'unavailable'; reason: string };

export interface GroupView {
  id: string;
  members: string[];
}

export interface PeopleView {
  users: string[];
  groups: GroupView[];
}

export interface OnCallView {
  ref: OnCallRef;
  label: string;
  now: OnCallNow;
}

export interface LimitsView {
  maxDurationMinutes: number;
  /** The durations the form offers for this flow. */
  durations: number[];
  justification: { required: boolean; minLength: number; pattern: string | null; hint: string | null };
  /** The justification names an open Jira issue of one of these projects (empty: no ticket rule). */
  ticketProjects: string[];
  requireLink: boolean;
  /** Approvers sign in again within this many minutes before deciding (null: no step-up). */
  stepUpMinutes: number | null;
}

export interface AutoApprovalView {
  rule: string;
  maxDurationMinutes: number;
  weekdays: number[];
  from: string;
  to: string;
  timeZone: string;
  /** The requester must be on call on one of these (labels); empty: no on-call condition. */
  onCall: string[];
  /** Request field conditions (domain/request-fields.ts): field name -> accepted values; absent: none. */
  fields?: Record<string, string[]>;
  /** False when the resource has no safe untuned grant: the rule never approves it, people do. */
  grantsUntuned: boolean;
  /** Is the rule's window open at `now` (when the caller gave one)? */
  openNow: boolean | null;
  /** Also approves requests made on someone's behalf (its conditions checked for the beneficiary). */
  onBehalf: boolean;
}

/** `approvers: { manager: true }`: the requester's manager is asked, from these sources, else the fallback. */
export interface ManagerView {
  /** Where the manager is looked up, as people read it ("the access file", "Okta", "Entra ID"); empty: nowhere. */
  sources: string[];
  fallback: PeopleView;
}

/** `on_behalf:` who may request for whom (domain/on-behalf.ts). */
export interface OnBehalfView {
  requesters: PeopleView;
  /** Anyone the flow lets request; else `for`. */
  anyoneInFlow: boolean;
  for: PeopleView;
}

export interface BreakGlassView {
  people: PeopleView;
  maxDurationMinutes: number;
  /** Why break-glass cannot grant this resource (no defaults), or null. */
  problem: string | null;
}

export interface FlowView {
  flow: string;
  description: string;
  enabled: boolean;
  requesters: PeopleView & { everyone: boolean };
  approvers: PeopleView & {
    onCall: OnCallView[];
    approvalsRequired: number;
    selfApproval: boolean;
    /** Who decides once a request was escalated (null: no escalation). */
    escalation: (PeopleView & { afterMinutes: number | null }) | null;
    /** The requester's manager is asked too (without stages; with stages, on the stage). */
    manager: ManagerView | null;
  };
  onBehalf: OnBehalfView | null;
  limits: LimitsView;
  autoApproval: AutoApprovalView[];
  breakGlass: BreakGlassView | null;
  /** The flow's approval stages in order (empty: none); `approvers` above is then every stage's. */
  stages?: (PeopleView & { name: string; approvalsRequired: number; manager: ManagerView | null })[];
}

export interface WhoCanAnswer {
  resource: Pick<Resource, 'name' | 'type' | 'tags' | 'description'>;
  /** Every flow that covers the resource: enabled first, then by name. */
  flows: FlowView[];
}
