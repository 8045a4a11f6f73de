import { Body, Controller, Get, Param, Post, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiAuth, CurrentUser } from '../../common/auth/decorators';
import { ApiProblemResponses } from '../../common/openapi/problem-responses';
import { ContactDto, ContactListDto } from './contact-view.dto';
import type { Principal } from '../../common/auth/principal';
import { ContactsQuery, SaveContactDto } from './contacts.dto';
import { ContactsService } from './contacts.service';

@ApiTags('contacts')
@ApiAuth()
@ApiProblemResponses(400, [404, 'No such instance of the caller'])
@Controller('api/instances/:id/contacts')
export class ContactsController {
  constructor(private readonly contacts: ContactsService) {}

  @Get()
  @ApiOperation({ summary: 'Contacts stored for the instance (limit, skip, search, onlyGroups)' })
  @ApiOkResponse({ type: ContactListDto })
  list(@CurrentUser() principal: Principal, @Param('id') id: string, @Query() q: ContactsQuery) {
    return this.contacts.list(principal, id, q);
  }

  @Get('db')
  @ApiOperation({ summary: 'The seeds’ alias of GET …/contacts' })
  @ApiOkResponse({ type: ContactListDto })
  listDb(@CurrentUser() principal: Principal, @Param('id') id: string, @Query() q: ContactsQuery) {
    return this.contacts.list(principal, id, q);
  }

  @Post('save')
  @ApiOperation({ summary: 'Save or update a contact in the database (seeds’ shape)' })
  @ApiCreatedResponse({ type: ContactDto })
  save(@CurrentUser() principal: Principal, @Param('id') id: string, @Body() dto: SaveContactDto) {
    return this.contacts.save(principal, id, dto);
  }
}
