package main

// The demo data of `nuanxin dev`: a slice of Zhifu district (芝罘区, Yantai)
// drawn from the news reports in shared/seeds/. Seed 001 gives 奇山街道 with
// its communities along 上乔西路 (塔山, 奇中, 四眼桥, 上乔西路), express
// last-mile outlets, parcel stations and the "烟小暖" warm station; seed 002
// gives 建设路街道建设路社区 with 3 enterprises, 3 mobile party members and a
// "社区+银行" station hosted by a China Construction Bank branch (the report's
// place is in Hunan; the demo moves it into the district). 白石街道建设里社区
// and 长生社区 also appear in seed 001's pages.
//
// Each street office also runs a points supermarket (积分超市) on the points
// service, where riders spend their volunteer points on things the job
// needs: a helmet, a raincoat, a power bank, a haircut, a health check.
//
// People, numbers and addresses are made up. Everything is fixed, so every
// developer gets the same demo. The types carry the JSON of the registry's
// and the points service's create requests; fields tagged "-" link the
// pieces together.

// demoData is everything the seed creates, in creation order.
type demoData struct {
	Streets     []demoStreet
	Enterprises []demoEnterprise
	Stations    []demoStation
	Workers     []demoWorker
	Stores      []demoStore  // on the points service, after the registry's data
	Reports     []demoReport // riders' reports (随手拍) on the activity service, last
	// NoticeSMS names (by ID number) the workers who also take notices
	// (通知: broadcasts) by SMS, set on the notification service as each
	// worker would in the rider's page, so that a broadcast in the demo
	// leaves rows in the console's push log (the dev SMS provider only logs).
	NoticeSMS []string
}

// demoReport is POST /v1/reports, sent by the worker whose ID number is
// Worker.
type demoReport struct {
	Worker      string  `json:"-"`
	Category    string  `json:"category"`
	Description string  `json:"description"`
	Lat         float64 `json:"lat"`
	Lng         float64 `json:"lng"`
	Address     string  `json:"address"`
}

// demoStreet is a street office (POST /v1/streets) with its communities.
type demoStreet struct {
	Code        string          `json:"code"`
	Name        string          `json:"name"`
	Communities []demoCommunity `json:"-"`
}

// demoCommunity is POST /v1/streets/{code}/communities.
type demoCommunity struct {
	Code string `json:"code"`
	Name string `json:"name"`
}

// demoEnterprise is POST /v1/enterprises.
type demoEnterprise struct {
	Key         string      `json:"-"` // how demo workers name their employer
	Name        string      `json:"name"`
	Kind        string      `json:"kind"`
	CreditCode  string      `json:"credit_code"`
	Community   string      `json:"community"`
	Address     string      `json:"address"`
	Contact     demoContact `json:"contact"`
	HasPartyOrg bool        `json:"has_party_org"`
}

type demoContact struct {
	Name   string `json:"name"`
	Mobile string `json:"mobile"`
}

// demoStation is POST /v1/stations.
type demoStation struct {
	Key          string          `json:"-"` // how demo check-ins name the station
	Name         string          `json:"name"`
	Kind         string          `json:"kind"`
	Community    string          `json:"community"`
	Host         string          `json:"host"`
	Lat          float64         `json:"lat"`
	Lng          float64         `json:"lng"`
	Address      string          `json:"address"`
	Phone        string          `json:"phone,omitempty"`
	OpeningHours []openingPeriod `json:"opening_hours"`
	Facilities   []string        `json:"facilities"`
}

// openingPeriod: open on ISO weekdays (1 = Monday) from Open to Close;
// a Close before Open runs past midnight, 00:00–24:00 is all day.
type openingPeriod struct {
	Days  []int  `json:"days"`
	Open  string `json:"open"`
	Close string `json:"close"`
}

// demoWorker is POST /v1/workers, plus the worker's check-in.
type demoWorker struct {
	Name              string  `json:"name"`
	Mobile            string  `json:"mobile"`
	IDNumber          string  `json:"id_number"`
	Occupation        string  `json:"occupation"`
	Community         string  `json:"community"`
	Enterprise        string  `json:"-"` // key of a demoEnterprise in the same street, "" for none
	EnterpriseID      string  `json:"enterprise_id,omitempty"`
	Platform          string  `json:"platform"`
	PoliticalStatus   string  `json:"political_status"`
	MobilePartyMember bool    `json:"mobile_party_member"`
	HomePartyOrg      string  `json:"home_party_org,omitempty"`
	CheckIn           checkIn `json:"-"`
}

// demoStore is a street-wide points supermarket (POST /v1/stores on the
// points service), opened by its street's admin, with its shelf.
type demoStore struct {
	Street  string     `json:"-"` // the street office whose admin opens it
	Name    string     `json:"name"`
	Address string     `json:"address"`
	Items   []demoItem `json:"-"`
}

// demoItem is POST /v1/stores/{id}/items: a price in points and the stock.
type demoItem struct {
	Name  string `json:"name"`
	Price int    `json:"price"`
	Stock int    `json:"stock"`
}

// checkIn is how a demo worker checks in with their community: not at all
// (zero value), online (by the worker, in the mini-program) or at a station
// (recorded by staff).
type checkIn struct {
	Channel string // "", "online" or "station"
	Station string // key of a demoStation, for "station"
}

func atStation(key string) checkIn { return checkIn{Channel: "station", Station: key} }

// daily is open every day from open to close.
func daily(open, close string) []openingPeriod {
	return []openingPeriod{{Days: []int{1, 2, 3, 4, 5, 6, 7}, Open: open, Close: close}}
}

// demo returns the demo data.
func demo() demoData {
	online := checkIn{Channel: "online"}
	weekdays, weekend := []int{1, 2, 3, 4, 5}, []int{6, 7}
	d := demoData{
		Streets: []demoStreet{
			{Code: "qishan", Name: "奇山街道", Communities: []demoCommunity{
				{Code: "tashan", Name: "塔山社区"},
				{Code: "qizhong", Name: "奇中社区"},
				{Code: "siyanqiao", Name: "四眼桥社区"},
				{Code: "shangqiaoxilu", Name: "上乔西路社区"},
				{Code: "changsheng", Name: "长生社区"},
			}},
			{Code: "jianshelu", Name: "建设路街道", Communities: []demoCommunity{
				{Code: "jianshelu", Name: "建设路社区"},
			}},
			{Code: "baishi", Name: "白石街道", Communities: []demoCommunity{
				{Code: "jiansheli", Name: "建设里社区"},
			}},
		},

		// Credit codes: "91" a company or "92" a sole proprietorship,
		// 370602 for Zhifu district, a made-up organisation code, and the
		// check character computed by creditCode.
		Enterprises: []demoEnterprise{
			{Key: "zto-tashan", Name: "中通快递烟台奇山网点", Kind: "express_outlet", CreditCode: creditCode("91370602MA3C4R7K1"),
				Community: "tashan", Address: "芝罘区上乔西路16号", Contact: demoContact{"孙立强", "13705351601"}, HasPartyOrg: true},
			{Key: "yto-tashan", Name: "圆通速递芝罘塔山营业部", Kind: "express_outlet", CreditCode: creditCode("91370602MA3D8N2P5"),
				Community: "tashan", Address: "芝罘区上乔西路42号", Contact: demoContact{"刘建华", "13805352218"}},
			{Key: "yunda-qizhong", Name: "韵达快递奇中网点", Kind: "express_outlet", CreditCode: creditCode("91370602MA3ELW6T0"),
				Community: "qizhong", Address: "芝罘区奇山北路35号", Contact: demoContact{"姜美玲", "15866385120"}},
			{Key: "sf-siyanqiao", Name: "顺丰速运四眼桥营业点", Kind: "express_outlet", CreditCode: creditCode("91370602MA3F2Q9XH"),
				Community: "siyanqiao", Address: "芝罘区四眼桥路8号", Contact: demoContact{"王志远", "13589761340"}},
			{Key: "cainiao-shangqiao", Name: "菜鸟驿站（上乔西路美食街店）", Kind: "parcel_station", CreditCode: creditCode("92370602MA3G5U1B7"),
				Community: "shangqiaoxilu", Address: "芝罘区上乔西路美食街7号", Contact: demoContact{"曲晓燕", "18253580927"}},
			{Key: "meituan-qishan", Name: "美团外卖奇山配送站", Kind: "delivery_station", CreditCode: creditCode("91370602MA3H7C0D2"),
				Community: "changsheng", Address: "芝罘区长生路21号", Contact: demoContact{"于海波", "17660350411"}, HasPartyOrg: true},
			// Seed 002: "已摸排出新业态企业3家".
			{Key: "eleme-jianshelu", Name: "饿了么建设路配送站", Kind: "delivery_station", CreditCode: creditCode("91370602MA3J1K8E4"),
				Community: "jianshelu", Address: "芝罘区建设路88号", Contact: demoContact{"周伟", "13325351788"}},
			{Key: "jd-jianshelu", Name: "京东快递建设路营业部", Kind: "express_outlet", CreditCode: creditCode("91370602MA3K4M6F9"),
				Community: "jianshelu", Address: "芝罘区建设路126号", Contact: demoContact{"陈刚", "15064500312"}, HasPartyOrg: true},
			{Key: "cainiao-jianshelu", Name: "菜鸟驿站（建设路社区店）", Kind: "parcel_station", CreditCode: creditCode("92370602MA3L9N3G1"),
				Community: "jianshelu", Address: "芝罘区建设路社区3号楼底商", Contact: demoContact{"赵丽", "18865570236"}},
			{Key: "jt-baishi", Name: "极兔速递白石网点", Kind: "express_outlet", CreditCode: creditCode("91370602MA3N2P5H8"),
				Community: "jiansheli", Address: "芝罘区白石路17号", Contact: demoContact{"杨帆", "13156980745"}},
		},

		Stations: []demoStation{
			// Seed 001: the service centre of 上乔西路, open round the clock.
			{Key: "yanxiaonuan", Name: "烟小暖·暖新驿站", Kind: "warm_station", Community: "shangqiaoxilu", Host: "奇山街道党工委",
				Lat: 37.5405, Lng: 121.4012, Address: "芝罘区上乔西路28号", Phone: "0535-6612001", OpeningHours: daily("00:00", "24:00"),
				Facilities: []string{"charging", "water", "microwave", "medicine", "toilet", "aircon", "heating", "books", "wifi", "umbrella"}},
			{Key: "tashan", Name: "塔山社区党群服务驿站", Kind: "rider_station", Community: "tashan", Host: "塔山社区党委",
				Lat: 37.5362, Lng: 121.3978, Address: "芝罘区塔山南路9号", Phone: "0535-6612019", OpeningHours: daily("08:00", "20:00"),
				Facilities: []string{"charging", "water", "medicine", "toilet", "books"}},
			{Key: "qizhong", Name: "奇中社区网格驿站", Kind: "love_corner", Community: "qizhong", Host: "奇中社区",
				Lat: 37.5431, Lng: 121.4065, Address: "芝罘区奇山北路52号",
				OpeningHours: []openingPeriod{{Days: weekdays, Open: "08:30", Close: "17:30"}, {Days: weekend, Open: "09:00", Close: "12:00"}},
				Facilities:   []string{"charging", "water", "umbrella"}},
			{Key: "siyanqiao", Name: "四眼桥小哥驿站", Kind: "rider_station", Community: "siyanqiao", Host: "四眼桥社区",
				Lat: 37.5318, Lng: 121.4103, Address: "芝罘区四眼桥路20号", Phone: "0535-6612020", OpeningHours: daily("07:00", "21:00"),
				Facilities: []string{"charging", "water", "microwave", "pump", "repair"}},
			{Key: "changsheng", Name: "长生社区爱心角", Kind: "love_corner", Community: "changsheng", Host: "长生便民超市",
				Lat: 37.5477, Lng: 121.3925, Address: "芝罘区长生路45号", OpeningHours: daily("07:30", "22:00"),
				Facilities: []string{"water", "charging", "fridge"}},
			// Seed 002: "社区+银行" — a bank branch hosts the station in bank hours.
			{Key: "laodongzhe", Name: "“劳动者港湾”暖心驿站", Kind: "warm_station", Community: "jianshelu", Host: "建设银行建设路支行（社区+银行）",
				Lat: 37.5489, Lng: 121.4188, Address: "芝罘区建设路66号", Phone: "0535-6612066",
				OpeningHours: []openingPeriod{{Days: weekdays, Open: "09:00", Close: "17:00"}, {Days: weekend, Open: "09:30", Close: "16:00"}},
				Facilities:   []string{"microwave", "water", "charging", "medicine", "toilet", "books", "aircon", "wifi"}},
			// For the night shift: open until two in the morning.
			{Key: "jiansheli", Name: "建设里社区暖新驿站", Kind: "warm_station", Community: "jiansheli", Host: "建设里社区",
				Lat: 37.5336, Lng: 121.4257, Address: "芝罘区建设里小区12号楼", Phone: "0535-6612012", OpeningHours: daily("18:00", "02:00"),
				Facilities: []string{"charging", "water", "microwave", "heating", "bed"}},
			{Key: "meishijie", Name: "上乔西路美食街小哥驿站", Kind: "rider_station", Community: "shangqiaoxilu", Host: "上乔西路暖新商家联盟",
				Lat: 37.5399, Lng: 121.3859, Address: "芝罘区上乔西路美食街入口", OpeningHours: daily("10:00", "22:00"),
				Facilities: []string{"water", "charging", "microwave", "toilet", "locker"}},
		},

		// ID numbers: area codes of Yantai (370602 Zhifu, 370611 Fushan,
		// 370612 Muping, 370613 Laishan, 370681 Longkou, 370682 Laiyang,
		// 370683 Laizhou, 370685 Zhaoyuan, 370686 Qixia, 370687 Haiyang),
		// birth date, a sequence number (odd for men) and the check
		// character computed by residentID.
		Workers: []demoWorker{
			// 奇山街道 · 塔山社区
			{Name: "王海涛", Mobile: "13953501201", IDNumber: residentID("370602", "19880314", "231"), Occupation: "food_delivery",
				Community: "tashan", Enterprise: "meituan-qishan", Platform: "美团", PoliticalStatus: "masses", CheckIn: online},
			{Name: "李明辉", Mobile: "15153572306", IDNumber: residentID("370611", "19920527", "117"), Occupation: "food_delivery",
				Community: "tashan", Enterprise: "meituan-qishan", Platform: "美团", PoliticalStatus: "party_member", CheckIn: atStation("tashan")},
			{Name: "张晓东", Mobile: "18765431029", IDNumber: residentID("370683", "19950811", "053"), Occupation: "courier",
				Community: "tashan", Enterprise: "zto-tashan", Platform: "中通", PoliticalStatus: "applicant", CheckIn: online},
			{Name: "刘洋", Mobile: "13705352468", IDNumber: residentID("370602", "19900102", "375"), Occupation: "courier",
				Community: "tashan", Enterprise: "zto-tashan", Platform: "中通", PoliticalStatus: "masses"},
			{Name: "孙国庆", Mobile: "13336385907", IDNumber: residentID("370612", "19791001", "219"), Occupation: "courier",
				Community: "tashan", Enterprise: "yto-tashan", Platform: "圆通", PoliticalStatus: "masses"},
			{Name: "赵磊", Mobile: "17853560124", IDNumber: residentID("370613", "19970623", "091"), Occupation: "food_delivery",
				Community: "tashan", Platform: "饿了么", PoliticalStatus: "league_member", CheckIn: online},
			{Name: "陈静", Mobile: "18354516803", IDNumber: residentID("370602", "19930915", "042"), Occupation: "courier",
				Community: "tashan", Enterprise: "yto-tashan", Platform: "圆通", PoliticalStatus: "activist"},
			{Name: "周鹏", Mobile: "15553539712", IDNumber: residentID("370687", "19860417", "155"), Occupation: "ride_hailing_driver",
				Community: "tashan", Platform: "滴滴", PoliticalStatus: "masses", CheckIn: atStation("tashan")},
			// 奇山街道 · 奇中社区
			{Name: "吴建军", Mobile: "13864519273", IDNumber: residentID("370681", "19820208", "337"), Occupation: "courier",
				Community: "qizhong", Enterprise: "yunda-qizhong", Platform: "韵达", PoliticalStatus: "party_member", CheckIn: online},
			{Name: "郑凯", Mobile: "15965702851", IDNumber: residentID("370602", "19960730", "013"), Occupation: "courier",
				Community: "qizhong", Enterprise: "yunda-qizhong", Platform: "韵达", PoliticalStatus: "masses"},
			{Name: "冯志刚", Mobile: "18906381446", IDNumber: residentID("370686", "19771119", "279"), Occupation: "freight_driver",
				Community: "qizhong", Platform: "货拉拉", PoliticalStatus: "masses"},
			// 奇山街道 · 四眼桥社区
			{Name: "褚宏伟", Mobile: "13573529066", IDNumber: residentID("370602", "19891224", "193"), Occupation: "courier",
				Community: "siyanqiao", Enterprise: "sf-siyanqiao", Platform: "顺丰", PoliticalStatus: "probationary_member", CheckIn: atStation("siyanqiao")},
			{Name: "卫东升", Mobile: "17705358830", IDNumber: residentID("370685", "19940305", "071"), Occupation: "courier",
				Community: "siyanqiao", Enterprise: "sf-siyanqiao", Platform: "顺丰", PoliticalStatus: "activist"},
			{Name: "蒋文斌", Mobile: "15806452197", IDNumber: residentID("370611", "19850618", "315"), Occupation: "designated_driver",
				Community: "siyanqiao", Platform: "e代驾", PoliticalStatus: "masses", CheckIn: online},
			// 奇山街道 · 上乔西路社区
			{Name: "沈丽娜", Mobile: "18053597415", IDNumber: residentID("370602", "19980412", "028"), Occupation: "courier",
				Community: "shangqiaoxilu", Enterprise: "cainiao-shangqiao", Platform: "菜鸟", PoliticalStatus: "league_member"},
			{Name: "韩子豪", Mobile: "13053562790", IDNumber: residentID("370613", "20010827", "057"), Occupation: "food_delivery",
				Community: "shangqiaoxilu", Enterprise: "meituan-qishan", Platform: "美团", PoliticalStatus: "masses", CheckIn: online},
			// 奇山街道 · 长生社区
			{Name: "杨振宇", Mobile: "15288650134", IDNumber: residentID("370602", "19910210", "139"), Occupation: "food_delivery",
				Community: "changsheng", Enterprise: "meituan-qishan", Platform: "美团", PoliticalStatus: "development_target", CheckIn: atStation("changsheng")},
			{Name: "朱宝林", Mobile: "13964570826", IDNumber: residentID("370682", "19830729", "251"), Occupation: "food_delivery",
				Community: "changsheng", Enterprise: "meituan-qishan", Platform: "美团", PoliticalStatus: "masses"},
			{Name: "秦浩然", Mobile: "18660588372", IDNumber: residentID("370602", "20000116", "017"), Occupation: "ride_hailing_driver",
				Community: "changsheng", Platform: "滴滴", PoliticalStatus: "masses"},
			// 建设路街道 · 建设路社区 (seed 002: "新就业群体流动党员3名")
			{Name: "许文博", Mobile: "13305358814", IDNumber: residentID("370683", "19870603", "173"), Occupation: "food_delivery",
				Community: "jianshelu", Enterprise: "eleme-jianshelu", Platform: "饿了么", PoliticalStatus: "party_member",
				MobilePartyMember: true, HomePartyOrg: "莱州市沙河镇朱家村党支部", CheckIn: atStation("laodongzhe")},
			{Name: "何立军", Mobile: "15098552673", IDNumber: residentID("370687", "19840921", "295"), Occupation: "courier",
				Community: "jianshelu", Enterprise: "jd-jianshelu", Platform: "京东", PoliticalStatus: "party_member",
				MobilePartyMember: true, HomePartyOrg: "海阳市留格庄镇党委", CheckIn: online},
			{Name: "吕晓峰", Mobile: "17616312059", IDNumber: residentID("370611", "19900408", "239"), Occupation: "food_delivery",
				Community: "jianshelu", Enterprise: "eleme-jianshelu", Platform: "饿了么", PoliticalStatus: "probationary_member",
				MobilePartyMember: true, HomePartyOrg: "福山区门楼镇西陌堂村党支部"},
			{Name: "施永强", Mobile: "13181627530", IDNumber: residentID("370602", "19930131", "155"), Occupation: "food_delivery",
				Community: "jianshelu", Enterprise: "eleme-jianshelu", Platform: "饿了么", PoliticalStatus: "applicant", CheckIn: online},
			{Name: "张婷婷", Mobile: "18562012847", IDNumber: residentID("370602", "19970519", "084"), Occupation: "courier",
				Community: "jianshelu", Enterprise: "cainiao-jianshelu", Platform: "菜鸟", PoliticalStatus: "masses"},
			{Name: "孔祥瑞", Mobile: "15610925306", IDNumber: residentID("370686", "19810811", "113"), Occupation: "courier",
				Community: "jianshelu", Enterprise: "jd-jianshelu", Platform: "京东", PoliticalStatus: "activist", CheckIn: atStation("laodongzhe")},
			{Name: "曹宇航", Mobile: "13792563418", IDNumber: residentID("370613", "19991103", "031"), Occupation: "food_delivery",
				Community: "jianshelu", Enterprise: "eleme-jianshelu", Platform: "饿了么", PoliticalStatus: "masses"},
			{Name: "严峻", Mobile: "18906452739", IDNumber: residentID("370612", "19880728", "359"), Occupation: "freight_driver",
				Community: "jianshelu", Platform: "货拉拉", PoliticalStatus: "masses"},
			// 白石街道 · 建设里社区
			{Name: "华明亮", Mobile: "13455081946", IDNumber: residentID("370602", "19850312", "271"), Occupation: "courier",
				Community: "jiansheli", Enterprise: "jt-baishi", Platform: "极兔", PoliticalStatus: "party_member", CheckIn: online},
			{Name: "金鑫", Mobile: "15725310673", IDNumber: residentID("370681", "19950609", "099"), Occupation: "food_delivery",
				Community: "jiansheli", Platform: "美团", PoliticalStatus: "masses", CheckIn: atStation("jiansheli")},
			{Name: "魏海军", Mobile: "18353557201", IDNumber: residentID("370602", "19781026", "213"), Occupation: "ride_hailing_driver",
				Community: "jiansheli", Platform: "滴滴", PoliticalStatus: "masses"},
			{Name: "陶佳怡", Mobile: "17863820519", IDNumber: residentID("370611", "20020218", "046"), Occupation: "courier",
				Community: "jiansheli", Enterprise: "jt-baishi", Platform: "极兔", PoliticalStatus: "league_member"},
		},

		// One supermarket per street, in a warm station of the street, with
		// what riders ask for. Prices in points: at the default rule (10
		// points an hour of volunteer service, 5 an activity, 20 a valid
		// report) a haircut is about five hours, a helmet thirty.
		Stores: []demoStore{
			{Street: "qishan", Name: "奇山街道暖新积分超市", Address: "芝罘区上乔西路28号（烟小暖·暖新驿站内）", Items: []demoItem{
				{Name: "电动车头盔", Price: 300, Stock: 50},
				{Name: "雨衣", Price: 200, Stock: 80},
				{Name: "充电宝", Price: 500, Stock: 30},
				{Name: "理发券", Price: 50, Stock: 100},
				{Name: "体检套餐", Price: 800, Stock: 20},
				{Name: "反光背心", Price: 100, Stock: 60},
			}},
			{Street: "jianshelu", Name: "建设路街道“劳动者港湾”积分超市", Address: "芝罘区建设路66号（建设银行建设路支行一楼）", Items: []demoItem{
				{Name: "电动车头盔", Price: 300, Stock: 40},
				{Name: "雨衣", Price: 200, Stock: 60},
				{Name: "充电宝", Price: 500, Stock: 25},
				{Name: "理发券", Price: 50, Stock: 100},
				{Name: "米面油礼包", Price: 400, Stock: 30},
			}},
			{Street: "baishi", Name: "白石街道暖新积分超市", Address: "芝罘区建设里小区12号楼（建设里社区暖新驿站）", Items: []demoItem{
				{Name: "雨衣", Price: 200, Stock: 50},
				{Name: "理发券", Price: 50, Stock: 80},
				{Name: "护膝护腕套装", Price: 150, Stock: 40},
				{Name: "体检套餐", Price: 800, Stock: 20},
			}},
		},
	}
	censusRound(&d)
	d.NoticeSMS = noticeSMS(d.Workers, map[string]int{"tashan": 3, "jianshelu": 2, "jiansheli": 1})
	return d
}

// noticeSMS is the ID numbers of the first few workers of some communities
// (community → how many).
func noticeSMS(workers []demoWorker, per map[string]int) []string {
	var out []string
	taken := map[string]int{}
	for _, w := range workers {
		if taken[w.Community] < per[w.Community] {
			taken[w.Community]++
			out = append(out, w.IDNumber)
		}
	}
	return out
}
