import { PaginationDto } from '../../common/pagination/pagination.dto';

/** A contact: the seeds' shape (`number`, `remoteJid`, `pushName`) plus our fields. */
export class ContactDto {
  id: string;
  instanceId: string;
  /** The provider's id of the user or group (Telegram user or chat id). */
  providerContactId: string;
  name: string | null;
  /** The phone number when known, else the provider id. */
  number: string;
  /** = providerContactId (the seeds' name). */
  remoteJid: string;
  /** The name the person gave themselves on the provider. */
  pushName: string | null;
  username: string | null;
  phone: string | null;
  isGroup: boolean;
  profilePicture: string | null;
  about: string | null;
  lastActivity: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

/** `GET …/contacts` and `…/contacts/db`. */
export class ContactListDto {
  contacts: ContactDto[];
  pagination: PaginationDto;
}
