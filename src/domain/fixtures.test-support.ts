import { DEFAULT_LIFECYCLE, type Flow } from './flow.js';
import type { Resource } from './resource.js';

/** Builders for pure tests: a flow or resource with sensible defaults and the fields a test cares about. */
export function aFlow(patch: Partial<Flow> & Pick<Flow, 'name'>): Flow {
  return {
    id: `flw_${patch.name}`,
    description: '',
    resourceNames: [],
    resourceTags: [],
    requesterUsers: [],
    requesterGroups: [],
    approverUsers: ['U0APPR'],
    approverGroups: [],
    requesterEveryone: false,
    maxDurationMinutes: 480,
    durationChoices: [],
    approvalsRequired: 1,
    allowSelfApproval: false,
    justification: { required: true, minLength: 0, pattern: null, hint: null },
    notifyChannel: null,
    lifecycle: DEFAULT_LIFECYCLE,
    enabled: true,
    ...patch,
  };
}

export function aResource(name: string, patch: Partial<Resource> = {}): Resource {
  return {
    id: `res_${name}`,
    name,
    type: 'database',
    tags: [],
    description: '',
    defaults: { loginUsers: [], databases: [], namespaces: [] },
    provisioner: null,
    ...patch,
  };
}
