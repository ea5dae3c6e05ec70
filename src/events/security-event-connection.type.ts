import { ObjectType } from 'type-graphql';
import { Connection } from '../common/pagination';
import { SecurityEvent } from './security-event.entity';

@ObjectType({ description: 'A page of security events, newest first.' })
export class SecurityEventConnection extends Connection(SecurityEvent) {}
