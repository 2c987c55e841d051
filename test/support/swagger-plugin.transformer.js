// ts-jest wants AST transformers with a name, a version and a factory; this wraps the same Swagger
// CLI plugin (and options) that nest-cli.json applies to the build.
const plugin = require('@nestjs/swagger/plugin');
const nestCli = require('../../nest-cli.json');

const options = nestCli.compilerOptions.plugins.find(
  (entry) => entry.name === '@nestjs/swagger',
).options;

module.exports.name = 'nestjs-swagger-plugin';
module.exports.version = 1;
module.exports.factory = (compiler) => plugin.before(options, compiler.program);
