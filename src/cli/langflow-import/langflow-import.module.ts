import { Module } from '@nestjs/common';
import { AuthModule } from '../../auth/auth.module';
import { LangflowImporter } from './langflow-importer.service';

/** `import-langflow`: bringing a Langflow database over. */
@Module({
  imports: [AuthModule],
  providers: [LangflowImporter],
  exports: [LangflowImporter],
})
export class LangflowImportModule {}
