// Preloaded into the service when the bench profiles it (--profile): V8 writes a --cpu-prof
// profile only on a normal exit, so SIGUSR2 ends the process with process.exit().
const process = require('node:process');

process.on('SIGUSR2', () => process.exit(0));
