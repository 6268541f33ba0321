/**
 * Words the Hellobaton generators draw from: plain printable ASCII without quotes or backslashes, so they
 * can be written into JSON unescaped (a test checks this).
 */

export const PROJECT_NAMES = [
  'Onboarding',
  'Data migration',
  'SSO rollout',
  'Payroll integration',
  'Go-live',
  'CRM sync',
  'Pilot',
  'Expansion',
  'Renewal',
  'Implementation',
  'Workspace setup',
  'Reporting revamp',
];

export const CLIENTS = [
  'Northwind',
  'Contoso',
  'Fabrikam',
  'Tailspin',
  'Wingtip',
  'Litware',
  'Proseware',
  'Adatum',
  'Lamna',
  'Trey Research',
];

export const PHASES = ['Kickoff', 'Discovery', 'Configuration', 'Testing', 'Training', 'Launch', 'Hypercare'];

export const MILESTONES = [
  'Contract signed',
  'Requirements agreed',
  'Sandbox ready',
  'Data loaded',
  'UAT complete',
  'Users trained',
  'Production cutover',
  'Project closed',
];

export const TASK_VERBS = ['Configure', 'Review', 'Upload', 'Approve', 'Test', 'Document', 'Schedule', 'Map'];

export const TASK_OBJECTS = [
  'user roles',
  'data export',
  'field mapping',
  'SSO settings',
  'kickoff deck',
  'training plan',
  'integration keys',
  'reporting views',
  'sign-off form',
  'go-live checklist',
];

export const PROJECT_STATUSES = ['draft', 'active', 'active', 'on_hold', 'complete'];

export const TASK_STATUSES = ['not_started', 'in_progress', 'blocked', 'in_review', 'complete'];

export const RISK_LEVELS = ['low', 'medium', 'high'];

export const SYSTEMS = ['Salesforce', 'HubSpot', 'NetSuite', 'Workday', 'SAP', 'Zendesk', null];

export const FIRST_NAMES = [
  'Alex',
  'Bea',
  'Carlos',
  'Dana',
  'Eli',
  'Fatima',
  'Gus',
  'Hiro',
  'Ines',
  'Jae',
  'Kira',
  'Luis',
];

export const LAST_NAMES = [
  'Abbott',
  'Baker',
  'Chowdhury',
  'Diaz',
  'Evans',
  'Fujita',
  'Gomez',
  'Hughes',
  'Ito',
  'Jensen',
];

export const JOB_TITLES = [
  'Implementation Manager',
  'Solutions Engineer',
  'Project Coordinator',
  'Customer Success Manager',
  'Technical Consultant',
  'Account Director',
  'IT Administrator',
  'Operations Analyst',
];

export const DEPARTMENTS = ['Professional Services', 'Customer Success', 'Engineering', 'IT', 'Operations'];

export const ACCOUNT_TYPES = ['admin', 'manager', 'member', 'member', 'client'];

export const ATTACHMENT_FILES = [
  'statement-of-work.pdf',
  'kickoff-deck.pptx',
  'data-dictionary.xlsx',
  'sign-off.pdf',
  'runbook.docx',
  'screenshot.png',
  'requirements.docx',
];

export const COMMENTS = [
  'Looks good to me.',
  'Can we move this to next week?',
  'Blocked on client access.',
  'Uploaded the latest file.',
  'Please review when you have a minute.',
  'Done, closing this out.',
  'Waiting on the API keys.',
];

export const FEEDBACK = ['Great progress.', 'Communication could be better.', 'On time and on budget.', null];

export const CUSTOM_FIELDS = [
  { title: 'Region', type: 'select' },
  { title: 'Contract value', type: 'number' },
  { title: 'Go-live date', type: 'date' },
  { title: 'Account owner', type: 'text' },
  { title: 'Tier', type: 'select' },
  { title: 'Seats', type: 'number' },
] as const;

export const OPTION_VALUES = ['EMEA', 'NA', 'APAC', 'LATAM', 'Gold', 'Silver', 'Bronze'];

export const PROJECT_ROLES = ['owner', 'collaborator', 'client', 'viewer'];

export const ACTIVITY_KINDS = [
  { type: 'task_status_changed', group: 'task', parentType: 'milestone', childType: 'task' },
  { type: 'task_assigned', group: 'task', parentType: 'milestone', childType: 'task' },
  { type: 'due_date_changed', group: 'task', parentType: 'milestone', childType: 'task' },
  { type: 'comment_added', group: 'comment', parentType: 'task', childType: 'comment' },
  { type: 'project_created', group: 'project', parentType: null, childType: null },
] as const;
