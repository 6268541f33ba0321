/**
 * Words the Humaans generators draw from. Every entry is plain printable ASCII without quotes or
 * backslashes, so generators can write them into JSON unescaped (a test checks this).
 */

export const FIRST_NAMES = [
  'Ada',
  'Alan',
  'Amara',
  'Anika',
  'Ben',
  'Carla',
  'Chen',
  'Dario',
  'Elena',
  'Farah',
  'Felix',
  'Grace',
  'Hana',
  'Ines',
  'Ivan',
  'Jonas',
  'Kofi',
  'Lea',
  'Liam',
  'Maya',
  'Mateo',
  'Nadia',
  'Noah',
  'Olga',
  'Omar',
  'Priya',
  'Rafael',
  'Sara',
  'Sven',
  'Tariq',
  'Uma',
  'Yusuf',
  'Zoe',
] as const;

export const LAST_NAMES = [
  'Andersen',
  'Bakker',
  'Costa',
  'Dubois',
  'Eriksson',
  'Fischer',
  'Garcia',
  'Haddad',
  'Ivanova',
  'Jansen',
  'Kowalski',
  'Lindqvist',
  'Moreau',
  'Nakamura',
  'Okafor',
  'Patel',
  'Quinn',
  'Rossi',
  'Schmidt',
  'Tanaka',
  'Usman',
  'Varga',
  'Weber',
  'Xu',
  'Yilmaz',
  'Zhang',
] as const;

export const CITIES = [
  {
    city: 'London',
    state: 'England',
    country: 'United Kingdom',
    countryCode: 'GB',
    timezone: 'Europe/London',
  },
  { city: 'Berlin', state: 'Berlin', country: 'Germany', countryCode: 'DE', timezone: 'Europe/Berlin' },
  { city: 'Lisbon', state: 'Lisboa', country: 'Portugal', countryCode: 'PT', timezone: 'Europe/Lisbon' },
  {
    city: 'New York',
    state: 'NY',
    country: 'United States',
    countryCode: 'US',
    timezone: 'America/New_York',
  },
  { city: 'Toronto', state: 'ON', country: 'Canada', countryCode: 'CA', timezone: 'America/Toronto' },
  {
    city: 'Singapore',
    state: 'Singapore',
    country: 'Singapore',
    countryCode: 'SG',
    timezone: 'Asia/Singapore',
  },
  { city: 'Sydney', state: 'NSW', country: 'Australia', countryCode: 'AU', timezone: 'Australia/Sydney' },
] as const;

export const STREETS = [
  'High Street',
  'Station Road',
  'Main Street',
  'Church Lane',
  'Park Avenue',
  'Mill Road',
];

/** Document kinds: the real-world name, the seed's `type`, and the file it usually comes as. */
export const DOCUMENT_KINDS = [
  { name: 'Employment contract', type: 'contract', mime: 'application/pdf', ext: 'pdf' },
  { name: 'Offer letter', type: 'contract', mime: 'application/pdf', ext: 'pdf' },
  { name: 'Passport', type: 'identity', mime: 'image/jpeg', ext: 'jpg' },
  { name: 'Right to work check', type: 'identity', mime: 'application/pdf', ext: 'pdf' },
  { name: 'Driving licence', type: 'identity', mime: 'image/png', ext: 'png' },
  { name: 'Non-disclosure agreement', type: 'legal', mime: 'application/pdf', ext: 'pdf' },
  { name: 'Payslip', type: 'payroll', mime: 'application/pdf', ext: 'pdf' },
  { name: 'P45', type: 'tax', mime: 'application/pdf', ext: 'pdf' },
  { name: 'Training certificate', type: 'certificate', mime: 'image/png', ext: 'png' },
  {
    name: 'Performance review',
    type: 'review',
    mime: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
    ext: 'docx',
  },
] as const;

export const DOCUMENT_DESCRIPTIONS = [
  'Signed copy',
  'Uploaded during onboarding',
  'Scanned original',
  'Renewed version',
  'Provided by the employee',
  'Countersigned by HR',
];

export const DOCUMENT_TAGS = ['onboarding', 'hr', 'legal', 'payroll', 'confidential', 'signed', 'compliance'];

export const DOCUMENT_SOURCES = ['bamboohr', 'personio', 'hibob'];

export const DEPARTMENTS = [
  'Engineering',
  'Product',
  'Design',
  'Sales',
  'Marketing',
  'Finance',
  'People',
  'Operations',
];

export const JOB_TITLES = [
  'Software Engineer',
  'Senior Software Engineer',
  'Engineering Manager',
  'Product Manager',
  'Product Designer',
  'Account Executive',
  'Sales Development Representative',
  'Marketing Manager',
  'Financial Analyst',
  'People Partner',
  'Operations Lead',
  'Data Analyst',
  'Customer Success Manager',
  'Recruiter',
];

export const EMPLOYMENT_TYPES = ['full-time', 'part-time', 'contractor', 'internship'];

export const CURRENCIES = ['GBP', 'EUR', 'USD', 'CAD', 'SGD', 'AUD'];

export const REQUIREMENTS = [
  '3+ years of relevant experience',
  'Excellent written communication',
  'Experience with TypeScript',
  'Stakeholder management',
  'A degree or equivalent experience',
  'Fluent English',
  'Comfort with ambiguity',
];

export const RESPONSIBILITIES = [
  'Own the roadmap for your area',
  'Mentor junior colleagues',
  'Ship features end to end',
  'Report to the leadership team',
  'Run weekly planning',
  'Partner with customers',
  'Keep documentation current',
];

export const BENEFITS = [
  'Private health insurance',
  'Pension matching',
  '25 days holiday',
  'Learning budget',
  'Remote working',
  'Equity options',
  'Parental leave',
];

export const TEAMS = ['Platform', 'Growth', 'Payments', 'Core', 'Data', 'Mobile', 'Support'];

export const LANGUAGES = [
  'English',
  'German',
  'French',
  'Spanish',
  'Portuguese',
  'Mandarin',
  'Arabic',
  'Hindi',
];

export const NATIONALITIES = [
  'British',
  'German',
  'Portuguese',
  'American',
  'Canadian',
  'Indian',
  'Nigerian',
];

export const TIME_AWAY_TYPES = ['Holiday', 'Sick leave', 'Parental leave', 'Training', 'Compassionate leave'];

export const TIME_AWAY_NOTES = ['Family trip', 'Doctor appointment', 'Conference', 'Moving house', 'Wedding'];

export const COMPANIES = [
  {
    name: 'Acme Ltd',
    domain: 'acme.example',
    description: 'Makers of everything',
    phone: '+44 20 7946 0000',
    address: {
      line1: '1 High Street',
      line2: 'Floor 3',
      city: 'London',
      state: 'England',
      postalCode: 'EC1A 1BB',
      country: 'GB',
    },
  },
  {
    name: 'Globex Corporation',
    domain: 'globex.example',
    description: 'Global exports since 1989',
    phone: '+1 212 555 0100',
    address: null,
  },
  {
    name: 'Initech GmbH',
    domain: 'initech.example',
    description: null,
    phone: '+49 30 901820',
    address: {
      line1: 'Friedrichstrasse 68',
      line2: null,
      city: 'Berlin',
      state: 'Berlin',
      postalCode: '10117',
      country: 'DE',
    },
  },
] as const;
