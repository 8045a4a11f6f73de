/**
 * The e2e and browser test environment: Node's, plus the OpenAPI contract verdict. Test apps
 * (test/utils/test-app.ts) record what departs from the published document into
 * `globalThis.__openapiViolations` when they close, instead of throwing from `close()`: a throw
 * there would skip the rest of the spec's cleanup (fake servers, browsers) and leave Jest
 * running. At `run_finish`, after every hook, recorded violations fail the suite.
 */
const { TestEnvironment } = require('jest-environment-node');

class ContractEnvironment extends TestEnvironment {
  async handleTestEvent(event, state) {
    if (event.name !== 'run_finish') return;
    const found = this.global.__openapiViolations;
    if (Array.isArray(found) && found.length) {
      state.unhandledErrors.push(
        new Error(`Responses or events that depart from the OpenAPI document:\n${found.join('\n')}`),
      );
    }
  }
}

module.exports = ContractEnvironment;
