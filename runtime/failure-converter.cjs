// Loaded by path (DataConverter.failureConverterPath) in the worker, the workflow bundle and every
// client: failure messages and stack traces go into a payload, so the payload codec encrypts them.
// CommonJS so the SDK can require it under plain Node, tsx and vitest alike.
const { DefaultFailureConverter } = require('@temporalio/common');

exports.failureConverter = new DefaultFailureConverter({ encodeCommonAttributes: true });
