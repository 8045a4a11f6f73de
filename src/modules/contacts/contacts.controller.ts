import { Body, Controller, Get, Param, Post, Query } from '@nestjs/common';
import { ApiNotFoundResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiAuth, CurrentUser } from '../../common/auth/decorators';
import type { Principal } from '../../common/auth/principal';
import { ContactsQuery, SaveContactDto } from './contacts.dto';
import { ContactsService } from './contacts.service';

@ApiTags('contacts')
@ApiAuth()
@ApiNotFoundResponse({ description: 'No such instance of the caller (problem+json)' })
@Controller('api/instances/:id/contacts')
export class ContactsController {
  constructor(private readonly contacts: ContactsService) {}

  @Get()
  @ApiOperation({ summary: 'Contacts stored for the instance (limit, skip, search, onlyGroups)' })
  list(@CurrentUser() principal: Principal, @Param('id') id: string, @Query() q: ContactsQuery) {
    return this.contacts.list(principal, id, q);
  }

  @Get('db')
  @ApiOperation({ summary: 'The seeds’ alias of GET …/contacts' })
  listDb(@CurrentUser() principal: Principal, @Param('id') id: string, @Query() q: ContactsQuery) {
    return this.contacts.list(principal, id, q);
  }

  @Post('save')
  @ApiOperation({ summary: 'Save or update a contact in the database (seeds’ shape)' })
  save(@CurrentUser() principal: Principal, @Param('id') id: string, @Body() dto: SaveContactDto) {
    return this.contacts.save(principal, id, dto);
  }
}
