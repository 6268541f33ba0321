#!/usr/bin/env node
/**
 * The peer of benchmark scenario 6: a minimal Humaans source written the way faros-ai/airbyte-connectors
 * sources are (compare sources/opsgenie-source and sources/bamboohr-source): an API client class with a
 * singleton `instance()` over an axios instance from faros-js-client (Bearer auth, retries), an
 * AirbyteStreamBase per stream whose `readRecords()` is an async generator, an AirbyteSourceBase with
 * `spec()`, `checkConnection()` and `streams()`, and `mainCommand()` from AirbyteSourceRunner. Pages go
 * `$skip`/`$limit` one after another until a short page, which is how a faros source pages an offset API.
 *
 * It does no transformation: records are emitted as the API returns them, through the CDK's own record,
 * state and logging path (AirbyteSourceBase.read → AirbyteSourceRunner → AirbyteSourceLogger.write).
 *
 *   node bench/peer/faros-humaans-source.cjs read --config config.json --catalog catalog.json
 *
 * Config: { api_token, base_url, max_records_per_page }.
 */
const {
  AirbyteSourceBase,
  AirbyteSourceLogger,
  AirbyteSourceRunner,
  AirbyteSpec,
  AirbyteStreamBase,
  SyncMode,
} = require('faros-airbyte-cdk');
const { makeAxiosInstanceWithRetry } = require('faros-js-client');
const VError = require('verror');

const DEFAULT_BASE_URL = 'https://app.humaans.io/api';
const DEFAULT_PAGE_SIZE = 250;
const MAX_PAGE_SIZE = 250;
const DEFAULT_TIMEOUT_MS = 60_000;

const SPEC = {
  documentationUrl: 'https://docs.humaans.io/api/',
  connectionSpecification: {
    $schema: 'http://json-schema.org/draft-07/schema#',
    title: 'Humaans Spec',
    type: 'object',
    required: ['api_token'],
    additionalProperties: true,
    properties: {
      api_token: {
        order: 0,
        type: 'string',
        title: 'API Token',
        description: 'Humaans API access token with the private:read scope',
        airbyte_secret: true,
      },
      base_url: {
        order: 1,
        type: 'string',
        title: 'API base URL',
        default: DEFAULT_BASE_URL,
      },
      max_records_per_page: {
        order: 2,
        type: 'integer',
        title: 'Page size',
        minimum: 1,
        maximum: MAX_PAGE_SIZE,
        default: DEFAULT_PAGE_SIZE,
      },
    },
  },
};

const DOCUMENTS_SCHEMA = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  type: 'object',
  additionalProperties: true,
  properties: {
    id: { type: 'string' },
    companyId: { type: ['string', 'null'] },
    personId: { type: ['string', 'null'] },
    name: { type: ['string', 'null'] },
    documentTypeId: { type: ['string', 'null'] },
    link: { type: ['string', 'null'] },
    fileId: { type: ['string', 'null'] },
    file: { type: ['object', 'null'] },
    issueDate: { type: ['string', 'null'] },
    expiryDate: { type: ['string', 'null'] },
    createdBy: { type: ['string', 'null'] },
    createdAt: { type: 'string', format: 'date-time' },
    updatedAt: { type: 'string', format: 'date-time' },
  },
};

/** The Humaans API client: one per process, like the clients of faros sources. */
class Humaans {
  static humaans = null;

  constructor(httpClient, pageSize, logger) {
    this.httpClient = httpClient;
    this.pageSize = pageSize;
    this.logger = logger;
  }

  static instance(config, logger) {
    if (Humaans.humaans) return Humaans.humaans;
    if (!config.api_token) {
      throw new VError('Please provide an API token');
    }
    const pageSize = config.max_records_per_page ?? DEFAULT_PAGE_SIZE;
    if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > MAX_PAGE_SIZE) {
      throw new VError(`max_records_per_page must be between 1 and ${MAX_PAGE_SIZE}`);
    }
    const httpClient = makeAxiosInstanceWithRetry(
      {
        baseURL: config.base_url ?? DEFAULT_BASE_URL,
        timeout: DEFAULT_TIMEOUT_MS,
        headers: {
          Authorization: `Bearer ${config.api_token}`,
          Accept: 'application/json',
        },
      },
      logger.asPino?.('debug'),
    );
    Humaans.humaans = new Humaans(httpClient, pageSize, logger);
    return Humaans.humaans;
  }

  async checkConnection() {
    try {
      await this.httpClient.get('/companies', { params: { $limit: 1 } });
    } catch (err) {
      throw new VError(
        `Please verify your API token is correct. Error: ${err.response?.status ?? ''} ${err.message}`,
      );
    }
  }

  /** Every record of a list endpoint, page after page, until a short page. */
  async *paginate(path, params = {}) {
    let skip = 0;
    for (;;) {
      const res = await this.httpClient.get(path, {
        params: { ...params, $skip: skip, $limit: this.pageSize },
      });
      const page = res.data?.data ?? [];
      for (const item of page) yield item;
      if (page.length < this.pageSize) break;
      skip += page.length;
    }
  }

  async *getDocuments(updatedSince) {
    const params = updatedSince ? { 'updatedAt[$gte]': updatedSince, '$sort[updatedAt]': 1 } : {};
    yield* this.paginate('/documents', params);
  }
}

class Documents extends AirbyteStreamBase {
  constructor(config, logger) {
    super(logger);
    this.config = config;
  }

  getJsonSchema() {
    return DOCUMENTS_SCHEMA;
  }

  get primaryKey() {
    return 'id';
  }

  get cursorField() {
    return 'updatedAt';
  }

  async *readRecords(syncMode, _cursorField, _streamSlice, streamState) {
    const humaans = Humaans.instance(this.config, this.logger);
    const since = syncMode === SyncMode.INCREMENTAL ? streamState?.cutoff : undefined;
    yield* humaans.getDocuments(since);
  }

  getUpdatedState(currentStreamState, latestRecord) {
    const latest = latestRecord.updatedAt;
    const current = currentStreamState?.cutoff;
    return { cutoff: !current || latest > current ? latest : current };
  }
}

class HumaansSource extends AirbyteSourceBase {
  get type() {
    return 'humaans';
  }

  async spec() {
    return new AirbyteSpec(SPEC);
  }

  async checkConnection(config) {
    try {
      const humaans = Humaans.instance(config, this.logger);
      await humaans.checkConnection();
    } catch (err) {
      return [false, err];
    }
    return [true, undefined];
  }

  streams(config) {
    return [new Documents(config, this.logger)];
  }
}

/** The main entry point. */
function mainCommand() {
  const logger = new AirbyteSourceLogger();
  const source = new HumaansSource(logger);
  return new AirbyteSourceRunner(logger, source).mainCommand();
}

module.exports = { mainCommand, HumaansSource, Documents, Humaans };

if (require.main === module) {
  mainCommand()
    .parseAsync(process.argv)
    .catch((err) => {
      process.stderr.write(`${err?.stack ?? err}\n`);
      process.exit(1);
    });
}
