#!/usr/bin/env node
// The AWS SDK (S3 anchors) warns on every run under Node 20 about its own future releases; the
// versions this package pins support Node 20, so the CLI's output stays clean. Set the variable
// to "false" to see the warning.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const { main } = await import('../dist/src/cli/main.js');

process.exitCode = await main(process.argv);
