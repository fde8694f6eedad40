export { CronTriggers } from './cron.js';
export { type WorkflowProgram, workflowInputs, workflowRunner } from './run.js';
export { startWorkflow, type StartRequest } from './start.js';
export { render, shouldRun, type TemplateScope } from './template.js';
