import 'reflect-metadata';
import { config as loadDotenv } from 'dotenv';
import { DataSource } from 'typeorm';
import { AppConfig } from '../config/app-config';
import { validateEnv } from '../config/env.schema';
import { dataSourceOptions } from './data-source-options';

/** For the TypeORM CLI (`npm run migration:run|revert|generate`), built from the same env as the app. */
loadDotenv({ quiet: true });
export default new DataSource(dataSourceOptions(new AppConfig(validateEnv(process.env))));
