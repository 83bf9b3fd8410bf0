import { ConfigurableModuleBuilder } from '@nestjs/common';
import { LAMEDUCK_MODULE_OPTIONS } from './constants.js';
import type { LameduckModuleExtras, LameduckModuleOptions } from './options.js';

export const { ConfigurableModuleClass, OPTIONS_TYPE, ASYNC_OPTIONS_TYPE } =
  new ConfigurableModuleBuilder<LameduckModuleOptions>({ optionsInjectionToken: LAMEDUCK_MODULE_OPTIONS })
    .setClassMethodName('forRoot')
    .setFactoryMethodName('createLameduckOptions')
    .setExtras<LameduckModuleExtras>({ isGlobal: true }, (definition, extras) => ({
      ...definition,
      global: extras.isGlobal,
    }))
    .build();
